/**
 * The kiosk side of epoch rotation: holds the kiosk key and venue, and for any moment
 * gives the epoch's signed frame with its advertising pages, extended form and GATT
 * value, signing once per epoch. The advertiser (bleno or firmware-bridge) asks it
 * again at each epoch boundary.
 */
import { WaymarkError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { assertBytes } from './bytes.js';
import {
  BEACON_SECRET_KEY_BYTES, DEFAULT_EPOCH_PERIOD_S, DEFAULT_TX_POWER_DBM, KIOSK_ID_BYTES,
  beaconPublicKey, encodeBeaconBody, epochAt, kioskIdFromPublicKey, signBeaconFrame,
} from './frame.js';
import { beaconSchedule, extendedAdvertisingData, type BeaconAdvertisingPage } from './advertising.js';
import { fragmentBeaconFrame } from './fragments.js';

export interface KioskBeaconOptions {
  /** The kiosk's 32-byte Ed25519 secret key (seed). */
  secretKey: Uint8Array;
  geohash: string;
  /** Default: kioskIdFromPublicKey(public key). */
  kioskId?: Uint8Array;
  periodS?: number;
  txPower?: number;
}

export interface BeaconEpoch {
  epoch: number;
  /** The epoch's span on the kiosk clock, ms since the Unix epoch: [startMs, endMs). */
  startMs: number;
  endMs: number;
  /** The 85-byte signed frame; also the GATT characteristic value. */
  frame: Uint8Array;
  /** Service Data payloads, fragment 0..3. */
  fragments: Uint8Array[];
  /** Legacy advertising pages to cycle through during the epoch. */
  pages: BeaconAdvertisingPage[];
  /** The single-PDU extended advertising data. */
  extended: Uint8Array;
}

export class KioskBeacon {
  readonly publicKey: Uint8Array;
  readonly kioskId: Uint8Array;
  readonly periodS: number;
  readonly txPower: number;
  readonly geohash: string;
  readonly #secretKey: Uint8Array;
  #cached: BeaconEpoch | undefined;

  constructor(options: KioskBeaconOptions) {
    assertBytes(options.secretKey, 'secretKey', BEACON_SECRET_KEY_BYTES);
    this.#secretKey = options.secretKey.slice();
    this.publicKey = beaconPublicKey(this.#secretKey);
    this.kioskId = options.kioskId ? options.kioskId.slice() : kioskIdFromPublicKey(this.publicKey);
    assertBytes(this.kioskId, 'kioskId', KIOSK_ID_BYTES);
    this.periodS = options.periodS ?? DEFAULT_EPOCH_PERIOD_S;
    this.txPower = options.txPower ?? DEFAULT_TX_POWER_DBM;
    this.geohash = options.geohash;
    // Validate every field now, not at the first epoch boundary.
    encodeBeaconBody({ kioskId: this.kioskId, epoch: 0, periodS: this.periodS, geohash: this.geohash, txPower: this.txPower });
  }

  /** The beacon for the epoch `nowMs` falls in. */
  at(nowMs: number): BeaconEpoch {
    const epoch = epochAt(nowMs / 1000, this.periodS);
    if (this.#cached?.epoch === epoch) return this.#cached;
    const frame = signBeaconFrame({ kioskId: this.kioskId, epoch, periodS: this.periodS, geohash: this.geohash, txPower: this.txPower }, this.#secretKey);
    this.#cached = {
      epoch,
      startMs: epoch * this.periodS * 1000,
      endMs: (epoch + 1) * this.periodS * 1000,
      frame,
      fragments: fragmentBeaconFrame(frame),
      pages: beaconSchedule(frame),
      extended: extendedAdvertisingData(frame),
    };
    return this.#cached;
  }

  /**
   * The current beacon by the kiosk clock. A beacon is a time-bound claim, so an
   * unsynchronized clock throws WAYMARK_ERR_CLOCK_UNSYNCED instead of signing.
   */
  current(clock: Clock): BeaconEpoch {
    const sync = clock.syncStatus();
    if (!sync.synced) {
      throw new WaymarkError('WAYMARK_ERR_CLOCK_UNSYNCED', `refusing to sign beacon frames (${sync.source}${sync.detail ? `: ${sync.detail}` : ''})`, {
        details: { source: sync.source },
      });
    }
    return this.at(clock.now());
  }
}
