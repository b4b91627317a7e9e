/**
 * BLE device address helpers: the kind of a random address is in its top two bits
 * (Core spec Vol 6 Part B 1.3): 0b11 static, 0b01 resolvable private, 0b00
 * non-resolvable private, 0b10 reserved.
 */
import type { AddressKind } from './ports.js';

/** `address` as `aa:bb:cc:dd:ee:ff` (most significant byte first). */
export function addressKindOf(address: string, addressType: 'public' | 'random' | number): AddressKind {
  const random = addressType === 'random' || addressType === 1 || addressType === 3;
  if (!random) return 'public';
  const msb = parseInt(address.slice(0, 2), 16);
  switch (msb >> 6) {
    case 0b11: return 'static';
    case 0b01: return 'resolvable';
    case 0b00: return 'non-resolvable';
    default: return 'reserved';
  }
}

/**
 * Checks the AD structures of an advertisement (Core spec Vol 3 Part C 11): each is a
 * length byte, then that many bytes (type + data). Returns why it is malformed, or null.
 * A zero length is only allowed as trailing padding (all remaining bytes zero).
 */
export function adStructuresProblem(data: Uint8Array, start = 0, end = data.length): string | null {
  let i = start;
  while (i < end) {
    const len = data[i]!;
    if (len === 0) {
      for (let j = i + 1; j < end; j++) if (data[j] !== 0) return `zero-length AD structure at byte ${i - start}`;
      return null;
    }
    if (i + 1 + len > end) return `AD structure at byte ${i - start} claims ${len} bytes, only ${end - i - 1} left`;
    i += 1 + len;
  }
  return null;
}

/** 6 bytes, most significant first, as `aa:bb:cc:dd:ee:ff`. */
export function formatAddress(address: Uint8Array): string {
  return Array.from(address, (b) => b.toString(16).padStart(2, '0')).join(':');
}

export function parseAddress(text: string): Uint8Array {
  const m = /^([0-9a-f]{2})(?::([0-9a-f]{2})){5}$/i.test(text);
  if (!m) throw new RangeError(`address must look like aa:bb:cc:dd:ee:ff, got ${JSON.stringify(text)}`);
  return Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
}
