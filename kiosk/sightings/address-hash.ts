/**
 * Keyed address hashing: the only form in which a BLE address ever reaches the disk.
 * hash = HMAC-SHA256(salt of the UTC day, address bytes), truncated to 128 bits. Salts
 * are random per day and destroyed once older than the retention period, after which
 * the hashes of that day can no longer be linked to any address.
 */
import { createHmac } from 'node:crypto';
import { utcDay } from '../../core/clock.js';

export interface SaltSource {
  /** The salt for a UTC day, created (and persisted) on first use. */
  saltFor(day: number): Uint8Array;
}

export class AddressHasher {
  readonly #salts: SaltSource;
  #day = -1;
  #key: Uint8Array = new Uint8Array(0);

  constructor(salts: SaltSource) {
    this.#salts = salts;
  }

  /** Hex hash of an `aa:bb:cc:dd:ee:ff` address, keyed by the salt of the day of `timeMs`. */
  hash(address: string, timeMs: number): string {
    const day = utcDay(timeMs);
    if (day !== this.#day) {
      this.#key = this.#salts.saltFor(day);
      this.#day = day;
    }
    return createHmac('sha256', this.#key).update(address.toLowerCase()).digest('hex').slice(0, 32);
  }

  /** Forget the cached key (after salts were shredded). */
  reset(): void {
    this.#day = -1;
    this.#key = new Uint8Array(0);
  }
}
