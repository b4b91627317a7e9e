/**
 * Byte helpers for the beacon codec and the phone-side verifier. They use only
 * Uint8Array and DataView (no Buffer, no node:*) so the verifier runs in a browser or
 * React Native as well as in Node.
 */

const HEX = /^(?:[0-9a-f]{2})*$/i;

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Parse hex (an optional `0x` prefix is allowed); throws TypeError naming `name`. */
export function fromHex(hex: string, name = 'hex'): Uint8Array {
  if (typeof hex !== 'string') throw new TypeError(`${name} must be a hex string`);
  const clean = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (!HEX.test(clean)) throw new TypeError(`${name} must be an even number of hex digits, got ${JSON.stringify(hex)}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Throws TypeError / RangeError naming the argument unless `value` is a Uint8Array of `length` bytes. */
export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  }
}

export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) throw new RangeError(`not ASCII: ${JSON.stringify(text)}`);
    out[i] = c;
  }
  return out;
}
