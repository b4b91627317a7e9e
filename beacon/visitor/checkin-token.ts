/**
 * The rotating check-in token the kiosk screen shows as a QR code: 80 bytes (version, issue
 * time, validity, nonce, kiosk secp256k1 signature), base64url in the check-in URL. Encoding,
 * decoding and signer recovery live here so a phone can read a token's expiry and signer.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { recoverAddress, Signature } from 'ethers';
import { WaymarkError } from '../../core/errors.js';
import { concatBytes, toHex } from '../bytes.js';

export const CHECKIN_TOKEN_VERSION = 1;
export const CHECKIN_TOKEN_BYTES = 80;
/** Signed part: version(1) issuedAt(4) validityS(2) nonce(8). */
export const CHECKIN_TOKEN_PAYLOAD_BYTES = 15;
export const CHECKIN_TOKEN_NONCE_BYTES = 8;
/** Domain tag hashed in front of the payload, so a token signature is never an attestation's. */
export const CHECKIN_TOKEN_TAG = 'Waymark check-in token v1';

export interface CheckinTokenFields {
  /** Unix seconds the token was issued (start of its rotation period). */
  issuedAt: number;
  /** Seconds after issuedAt during which the kiosk accepts it. */
  validityS: number;
  /** 8 random bytes. */
  nonce: Uint8Array;
}

export interface DecodedCheckinToken extends CheckinTokenFields {
  version: number;
  /** Unix seconds from which the token is refused. */
  expiresAt: number;
  /** 65-byte r || s || v. */
  signature: Uint8Array;
  /** The 15 signed bytes. */
  payload: Uint8Array;
}

const tag = new TextEncoder().encode(CHECKIN_TOKEN_TAG);

export function encodeCheckinTokenPayload(fields: CheckinTokenFields): Uint8Array {
  if (!Number.isInteger(fields.issuedAt) || fields.issuedAt < 0 || fields.issuedAt > 0xffffffff) throw new RangeError(`issuedAt must be a uint32, got ${fields.issuedAt}`);
  if (!Number.isInteger(fields.validityS) || fields.validityS < 1 || fields.validityS > 0xffff) throw new RangeError(`validityS must be 1..65535, got ${fields.validityS}`);
  if (!(fields.nonce instanceof Uint8Array) || fields.nonce.length !== CHECKIN_TOKEN_NONCE_BYTES) throw new TypeError('nonce must be 8 bytes');
  const out = new Uint8Array(CHECKIN_TOKEN_PAYLOAD_BYTES);
  const view = new DataView(out.buffer);
  out[0] = CHECKIN_TOKEN_VERSION;
  view.setUint32(1, fields.issuedAt);
  view.setUint16(5, fields.validityS);
  out.set(fields.nonce, 7);
  return out;
}

/** keccak256(tag || payload): what the kiosk key signs. */
export function checkinTokenDigest(payload: Uint8Array): Uint8Array {
  return keccak_256(concatBytes(tag, payload));
}

/** payload || signature, base64url without padding. */
export function encodeCheckinToken(payload: Uint8Array, signature: Uint8Array): string {
  if (payload.length !== CHECKIN_TOKEN_PAYLOAD_BYTES || signature.length !== 65) throw new TypeError('a token is a 15-byte payload and a 65-byte signature');
  return toBase64Url(concatBytes(payload, signature));
}

/** Parses a token string; throws WAYMARK_ERR_CHECKIN_TOKEN_MALFORMED. Does not check the signature or time. */
export function decodeCheckinToken(token: string): DecodedCheckinToken {
  const malformed = (why: string): never => {
    throw new WaymarkError('WAYMARK_ERR_CHECKIN_TOKEN_MALFORMED', why);
  };
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]+$/.test(token)) malformed('not base64url text');
  const bytes = fromBase64Url(token);
  if (!bytes || bytes.length !== CHECKIN_TOKEN_BYTES) return malformed(`${CHECKIN_TOKEN_BYTES} bytes expected, got ${bytes ? bytes.length : 'invalid base64url'}`);
  if (bytes[0] !== CHECKIN_TOKEN_VERSION) malformed(`unknown token version ${bytes[0]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const issuedAt = view.getUint32(1);
  const validityS = view.getUint16(5);
  if (validityS === 0) malformed('validity is 0 s');
  return {
    version: bytes[0],
    issuedAt,
    validityS,
    expiresAt: issuedAt + validityS,
    nonce: bytes.slice(7, 15),
    payload: bytes.slice(0, CHECKIN_TOKEN_PAYLOAD_BYTES),
    signature: bytes.slice(CHECKIN_TOKEN_PAYLOAD_BYTES),
  };
}

/** secp256k1's group order n, and n/2: a canonical signature has s <= n/2 (EIP-2). */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = SECP256K1_N >> 1n;

function bigIntOf(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + toHex(bytes));
}

/**
 * Only the one canonical form of a signature is accepted: v is 27 or 28, 0 < r < n and
 * 0 < s <= n/2. Any other encoding of the same signature (v 0/1, high s) is refused, so a
 * token has exactly one valid byte string.
 */
export function assertCanonicalSignature(signature: Uint8Array): void {
  const v = signature[64];
  const r = bigIntOf(signature.subarray(0, 32));
  const s = bigIntOf(signature.subarray(32, 64));
  const problem = signature.length !== 65 ? `a signature is 65 bytes, got ${signature.length}`
    : v !== 27 && v !== 28 ? `v must be 27 or 28, got ${v}`
      : r === 0n || r >= SECP256K1_N ? 'r is out of range'
        : s === 0n || s > HALF_N ? 's is not in the lower half of the curve order (non-canonical)'
          : undefined;
  if (problem) throw new WaymarkError('WAYMARK_ERR_CHECKIN_TOKEN_INVALID', `non-canonical signature: ${problem}`);
}

/** The address whose key signed the token; throws WAYMARK_ERR_CHECKIN_TOKEN_INVALID when no key did or the signature is not canonical. */
export function recoverCheckinTokenSigner(token: DecodedCheckinToken): string {
  assertCanonicalSignature(token.signature);
  try {
    return recoverAddress(checkinTokenDigest(token.payload), Signature.from('0x' + toHex(token.signature)));
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_CHECKIN_TOKEN_INVALID', `signature does not recover (${(err as Error).message})`);
  }
}

/** The check-in URL a QR code carries: `<kiosk base>/checkin?token=<token>`. */
export function checkinUrl(kioskBaseUrl: string, token: string): string {
  return `${kioskBaseUrl.replace(/\/+$/, '')}/checkin?token=${token}`;
}

/**
 * The check-in URL when the kiosk's QR opens a visitor wallet (config checkin.walletUrl):
 * `<wallet URL>#kiosk=<kiosk base, URL-encoded>&token=<token>`. Both ride in the fragment,
 * which the browser never sends, so the wallet's host does not learn where its users are.
 */
export function walletCheckinUrl(walletUrl: string, kioskBaseUrl: string, token: string): string {
  return `${walletUrl.replace(/#.*$/, '')}#kiosk=${encodeURIComponent(kioskBaseUrl.replace(/\/+$/, ''))}&token=${token}`;
}

/** Splits a scanned check-in URL (the kiosk's /checkin page or a wallet link) into the kiosk's base URL and the token. */
export function parseCheckinUrl(url: string): { kioskUrl: string; token: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WaymarkError('WAYMARK_ERR_CHECKIN_TOKEN_MALFORMED', `not a URL: ${url}`);
  }
  const fragment = new URLSearchParams(parsed.hash.slice(1));
  if (fragment.has('kiosk') && fragment.has('token')) return parseWalletFragment(fragment, url);
  const token = parsed.searchParams.get('token');
  if (!token || !parsed.pathname.endsWith('/checkin')) throw new WaymarkError('WAYMARK_ERR_CHECKIN_TOKEN_MALFORMED', `not a Waymark check-in URL: ${url}`);
  return { kioskUrl: `${parsed.origin}${parsed.pathname.slice(0, -'/checkin'.length)}`, token };
}

function parseWalletFragment(fragment: URLSearchParams, url: string): { kioskUrl: string; token: string } {
  const token = fragment.get('token') ?? '';
  let kiosk: URL | undefined;
  try {
    kiosk = new URL(fragment.get('kiosk') ?? '');
  } catch {
    // refused below
  }
  if (!token || !kiosk || (kiosk.protocol !== 'http:' && kiosk.protocol !== 'https:')) {
    throw new WaymarkError('WAYMARK_ERR_CHECKIN_TOKEN_MALFORMED', `not a Waymark wallet check-in link (#kiosk=<http(s) URL>&token=...): ${url}`);
  }
  return { kioskUrl: `${kiosk.origin}${kiosk.pathname.replace(/\/+$/, '')}`, token };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let j = 0; j < chars; j++) out += B64[(n >> (18 - 6 * j)) & 63];
  }
  return out;
}

/** undefined when the text is not canonical base64url. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let acc = 0;
  let at = 0;
  for (const ch of text) {
    const v = B64.indexOf(ch);
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return undefined; // non-zero padding bits: not canonical
  return out;
}
