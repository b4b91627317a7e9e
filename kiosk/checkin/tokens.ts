/**
 * The rotating QR check-in tokens: a new kiosk-signed token every `periodS` seconds, each
 * accepted for `validityS` seconds after it was issued. Verification recovers the signer
 * (cached for tokens this process issued or already checked) and checks the window; the
 * per-visitor replay guard is in records.ts.
 */
import { WaymarkError } from '../../core/errors.js';
import {
  CHECKIN_TOKEN_NONCE_BYTES, checkinTokenDigest, decodeCheckinToken, encodeCheckinToken, encodeCheckinTokenPayload,
  recoverCheckinTokenSigner, type DecodedCheckinToken,
} from '../../beacon/visitor/checkin-token.js';

export interface TokenSigner {
  readonly address: string;
  signDigest(digest: Uint8Array): Uint8Array;
}

export interface CheckinTokenIssuerOptions {
  signer: TokenSigner;
  periodS: number;
  validityS: number;
  /** Source of nonces; default Web Crypto. */
  randomBytes?: (n: number) => Uint8Array;
}

export interface IssuedCheckinToken {
  token: string;
  issuedAt: number;
  expiresAt: number;
  /** Unix seconds the next token replaces this one on screen. */
  nextAt: number;
}

const VERIFIED_CACHE = 64;

export class CheckinTokenIssuer {
  readonly periodS: number;
  readonly validityS: number;
  readonly #signer: TokenSigner;
  readonly #random: (n: number) => Uint8Array;
  #current: IssuedCheckinToken | undefined;
  /** Token text -> decoded, for tokens whose signature is known good. */
  readonly #verified = new Map<string, DecodedCheckinToken>();

  constructor(opts: CheckinTokenIssuerOptions) {
    if (!Number.isInteger(opts.periodS) || opts.periodS < 1 || opts.periodS > 30) throw new RangeError(`periodS must be 1..30, got ${opts.periodS}`);
    if (!Number.isInteger(opts.validityS) || opts.validityS < opts.periodS || opts.validityS > 0xffff) throw new RangeError(`validityS must be periodS..65535, got ${opts.validityS}`);
    this.periodS = opts.periodS;
    this.validityS = opts.validityS;
    this.#signer = opts.signer;
    this.#random = opts.randomBytes ?? ((n) => globalThis.crypto.getRandomValues(new Uint8Array(n)));
  }

  /** The token of the rotation period `nowMs` falls in (made on first request). */
  current(nowMs: number): IssuedCheckinToken {
    const issuedAt = Math.floor(nowMs / 1000 / this.periodS) * this.periodS;
    if (this.#current?.issuedAt === issuedAt) return this.#current;
    const payload = encodeCheckinTokenPayload({ issuedAt, validityS: this.validityS, nonce: this.#random(CHECKIN_TOKEN_NONCE_BYTES) });
    const token = encodeCheckinToken(payload, this.#signer.signDigest(checkinTokenDigest(payload)));
    this.#remember(token, decodeCheckinToken(token));
    this.#current = { token, issuedAt, expiresAt: issuedAt + this.validityS, nextAt: issuedAt + this.periodS };
    return this.#current;
  }

  /**
   * Checks a presented token: well formed (WAYMARK_ERR_CHECKIN_TOKEN_MALFORMED), signed by this
   * kiosk (..._INVALID), and inside its window at `nowMs` (..._EXPIRED). The window is the
   * shorter of the token's own validity and this issuer's.
   */
  verify(token: string, nowMs: number): DecodedCheckinToken {
    let decoded = this.#verified.get(token);
    if (!decoded) {
      decoded = decodeCheckinToken(token);
      const signer = recoverCheckinTokenSigner(decoded);
      if (signer !== this.#signer.address) {
        throw new WaymarkError('WAYMARK_ERR_CHECKIN_TOKEN_INVALID', 'the token is not signed by this kiosk', { details: { signer } });
      }
      this.#remember(token, decoded);
    }
    const nowS = nowMs / 1000;
    const expiresAt = decoded.issuedAt + Math.min(decoded.validityS, this.validityS);
    if (nowS < decoded.issuedAt) {
      throw new WaymarkError('WAYMARK_ERR_CHECKIN_TOKEN_EXPIRED', 'the token is from the future (was the kiosk clock set back?)', { details: { issuedAt: decoded.issuedAt, now: Math.floor(nowS) } });
    }
    if (nowS >= expiresAt) {
      throw new WaymarkError('WAYMARK_ERR_CHECKIN_TOKEN_EXPIRED', `the token expired ${Math.floor(nowS - expiresAt)} s ago; scan the live QR code`, { details: { expiresAt, now: Math.floor(nowS) } });
    }
    return { ...decoded, expiresAt };
  }

  #remember(token: string, decoded: DecodedCheckinToken): void {
    if (this.#verified.size >= VERIFIED_CACHE) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(token, decoded);
  }
}
