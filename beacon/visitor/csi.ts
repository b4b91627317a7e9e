/**
 * Crypto-spatiotemporal records (S2): a check-in's Unix time and geohash-9 sealed with
 * AES-GCM under a key the phone generates and never exports, so what the phone stores says
 * nothing about where its owner was to anyone without that key. Web Crypto only.
 */
import { WaymarkError } from '../../core/errors.js';
import { fromHex, toHex } from '../bytes.js';
import { isGeohash9 } from '../geohash.js';

/** One crypto-spatiotemporal point: where (geohash-9) and when (Unix seconds). */
export interface SpatiotemporalPoint {
  time: number;
  geohash: string;
}

/** An AES-GCM sealed record: 12-byte nonce and ciphertext with its 16-byte tag, hex. */
export interface SealedRecord {
  iv: string;
  ciphertext: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The S2 plaintext: `<unix seconds> <geohash-9>`, e.g. `1577808060 xn775hh8b`. */
export function encodeCsi(p: SpatiotemporalPoint): string {
  if (!Number.isSafeInteger(p.time) || p.time < 0) throw new RangeError(`time must be Unix seconds, got ${p.time}`);
  if (!isGeohash9(p.geohash)) throw new TypeError(`geohash must be 9 geohash characters, got ${String(p.geohash)}`);
  return `${p.time} ${p.geohash}`;
}

/** Reads `encodeCsi`'s text; throws WAYMARK_ERR_RECORD_SEALED. */
export function decodeCsi(text: string): SpatiotemporalPoint {
  const m = /^(\d{1,15}) ([0-9a-z]{9})$/.exec(text);
  if (!m || !isGeohash9(m[2])) throw new WaymarkError('WAYMARK_ERR_RECORD_SEALED', 'the record opened but is not `<unix seconds> <geohash-9>`');
  return { time: Number(m[1]), geohash: m[2]! };
}

/**
 * A fresh AES-256-GCM key that cannot be exported (`extractable: false`): the browser keeps
 * it in IndexedDB as an opaque CryptoKey, and no script, backup or export sees its bytes.
 */
export async function generateRecordKey(): Promise<CryptoKey> {
  return globalThis.crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/**
 * Seals bytes; `binding` (e.g. the attestation id) is authenticated as additional data, so a
 * sealed record cannot be moved to another entry unnoticed.
 */
export async function sealBytes(key: CryptoKey, plain: Uint8Array, binding: string): Promise<SealedRecord> {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const ct = await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: enc.encode(binding) }, key, plain as BufferSource);
  return { iv: toHex(iv), ciphertext: toHex(new Uint8Array(ct)) };
}

/** Opens `sealBytes`' record; throws WAYMARK_ERR_RECORD_SEALED on another key, binding or any altered byte. */
export async function openBytes(key: CryptoKey, sealed: SealedRecord, binding: string): Promise<Uint8Array> {
  try {
    const plain = await globalThis.crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: fromHex(sealed.iv, 'iv') as BufferSource, additionalData: enc.encode(binding) },
      key,
      fromHex(sealed.ciphertext, 'ciphertext') as BufferSource,
    );
    return new Uint8Array(plain);
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_RECORD_SEALED', `authentication failed (another key, another record, or altered bytes)${(err as Error).message ? `: ${(err as Error).message}` : ''}`);
  }
}

/** Seals a check-in's time and place as an S2 record bound to `binding`. */
export async function sealCsi(key: CryptoKey, p: SpatiotemporalPoint, binding: string): Promise<SealedRecord> {
  return sealBytes(key, enc.encode(encodeCsi(p)), binding);
}

export async function openCsi(key: CryptoKey, sealed: SealedRecord, binding: string): Promise<SpatiotemporalPoint> {
  return decodeCsi(dec.decode(await openBytes(key, sealed, binding)));
}

/** Seals any JSON value (the wallet seals its whole entry: attestation, proof, check-out). */
export async function sealJson(key: CryptoKey, value: unknown, binding: string): Promise<SealedRecord> {
  return sealBytes(key, enc.encode(JSON.stringify(value)), binding);
}

export async function openJson<T>(key: CryptoKey, sealed: SealedRecord, binding: string): Promise<T> {
  const text = dec.decode(await openBytes(key, sealed, binding));
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new WaymarkError('WAYMARK_ERR_RECORD_SEALED', 'the record opened but is not JSON');
  }
}
