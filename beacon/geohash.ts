/**
 * Packs a 9-character geohash (45 bits) into 6 bytes for the beacon frame and back.
 * The bits are left-aligned (first character in the top bits) so a byte-prefix of the
 * packed form is a geohash prefix; the 3 low bits are reserved and must be zero.
 */

export const GEOHASH_ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';
export const GEOHASH_CHARS = 9;
export const GEOHASH_BYTES = 6;

const GEOHASH9 = /^[0123456789bcdefghjkmnpqrstuvwxyz]{9}$/;

export function isGeohash9(text: unknown): text is string {
  return typeof text === 'string' && GEOHASH9.test(text);
}

export function packGeohash(geohash: string): Uint8Array {
  if (!isGeohash9(geohash)) {
    throw new RangeError(`geohash must be 9 characters of the geohash alphabet (0-9, b-z without a, i, l, o), got ${JSON.stringify(geohash)}`);
  }
  // 45 bits do not fit a 32-bit integer, and bigint-free code keeps this portable to
  // older JS engines, so the bits are written one 5-bit group at a time.
  const out = new Uint8Array(GEOHASH_BYTES);
  let bit = 0;
  for (const ch of geohash) {
    const v = GEOHASH_ALPHABET.indexOf(ch);
    for (let k = 4; k >= 0; k--, bit++) {
      if ((v >> k) & 1) out[bit >> 3] |= 0x80 >> (bit & 7);
    }
  }
  return out;
}

/** Returns the geohash, or undefined if the reserved low bits are not zero. */
export function unpackGeohash(packed: Uint8Array): string | undefined {
  if (packed.length !== GEOHASH_BYTES) return undefined;
  if ((packed[GEOHASH_BYTES - 1] & 0x07) !== 0) return undefined;
  let out = '';
  let bit = 0;
  for (let c = 0; c < GEOHASH_CHARS; c++) {
    let v = 0;
    for (let k = 0; k < 5; k++, bit++) v = (v << 1) | ((packed[bit >> 3] >> (7 - (bit & 7))) & 1);
    out += GEOHASH_ALPHABET[v];
  }
  return out;
}
