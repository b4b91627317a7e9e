/**
 * Fuzz properties of the check-in token and URL (beacon/visitor/checkin-token.ts) and the
 * kiosk's verification of presented tokens (kiosk/checkin/tokens.ts): arbitrary text, arbitrary
 * 80-byte tokens, altered genuine tokens and scanned URLs.
 */
import assert from 'node:assert/strict';
import { computeAddress, getBytes, SigningKey } from 'ethers';
import fc from 'fast-check';
import type { ErrorCode } from '../../core/errors.js';
import {
  CHECKIN_TOKEN_BYTES, checkinUrl, decodeCheckinToken, encodeCheckinToken, encodeCheckinTokenPayload, fromBase64Url, parseCheckinUrl,
  recoverCheckinTokenSigner, toBase64Url, walletCheckinUrl,
} from '../../beacon/visitor/checkin-token.js';
import { CheckinTokenIssuer, type TokenSigner } from '../../kiosk/checkin/tokens.js';
import { applyMutations, bytesArb, mutationsArb, parseOrRefuse, type FuzzProperty } from './harness.js';

const MALFORMED: ErrorCode[] = ['WAYMARK_ERR_CHECKIN_TOKEN_MALFORMED'];
const REFUSED: ErrorCode[] = ['WAYMARK_ERR_CHECKIN_TOKEN_MALFORMED', 'WAYMARK_ERR_CHECKIN_TOKEN_INVALID', 'WAYMARK_ERR_CHECKIN_TOKEN_EXPIRED'];
/** anvil's public dev key #1: a test key, never a real one. */
const KIOSK_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const T0 = Date.UTC(2026, 4, 1, 12);
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function tokenSigner(key = KIOSK_KEY): TokenSigner {
  const signing = new SigningKey(key);
  return { address: computeAddress(signing.publicKey), signDigest: (digest) => getBytes(signing.sign(digest).serialized) };
}

const b64Text = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...B64URL), minLength: min, maxLength: max });

/** 80 bytes shaped like a token: version 1, non-zero validity, v 27/28 now and then. */
const tokenBytesArb = fc.tuple(fc.uint8Array({ minLength: CHECKIN_TOKEN_BYTES, maxLength: CHECKIN_TOKEN_BYTES }), fc.boolean(), fc.boolean()).map(([b, shaped, v]) => {
  const out = b.slice();
  if (shaped) out[0] = 1;
  if (v) out[79] = 27 + (out[79] & 1);
  return out;
});

/** Genuine tokens of the test kiosk, made once per run of a property (signing is the slow part). */
function genuineTokens(n: number): string[] {
  const issuer = new CheckinTokenIssuer({ signer: tokenSigner(), periodS: 20, validityS: 60 });
  return Array.from({ length: n }, (_, i) => issuer.current(T0 + i * 20_000).token);
}

function checkDecoded(token: string, decoded: ReturnType<typeof decodeCheckinToken>): void {
  assert.equal(toBase64Url(Uint8Array.from([...decoded.payload, ...decoded.signature])), token, 'one string per token');
  assert.equal(decoded.version, 1);
  assert.ok(decoded.validityS >= 1 && decoded.expiresAt === decoded.issuedAt + decoded.validityS);
  assert.equal(decoded.nonce.length, 8);
  assert.equal(decoded.signature.length, 65);
}

const decodeArbitrary: FuzzProperty = {
  name: 'checkin-token: decodeCheckinToken on arbitrary text and 80-byte tokens decodes canonically or throws _MALFORMED',
  runs: 50_000,
  build: () => ({
    property: fc.property(
      fc.oneof(
        fc.string({ maxLength: 120 }),
        b64Text(100, 112),
        tokenBytesArb.map((b) => toBase64Url(b)),
        fc.tuple(tokenBytesArb, fc.string({ unit: fc.constantFrom(...B64URL, '=', '+', '/', ' ', '\u00e9'), minLength: 1, maxLength: 3 }), fc.nat())
          .map(([b, ins, at]) => { const s = toBase64Url(b); const i = at % (s.length + 1); return s.slice(0, i) + ins + s.slice(i); }),
        fc.anything().map((v) => v as string),
      ),
      (token) => {
        const r = parseOrRefuse('decodeCheckinToken', MALFORMED, () => decodeCheckinToken(token));
        if (r.ok) checkDecoded(token, r.value);
      },
    ),
  }),
};

const base64url: FuzzProperty = {
  name: 'checkin-token: base64url round-trips bytes, and fromBase64Url accepts only canonical text',
  runs: 80_000,
  build: () => ({
    property: fc.property(bytesArb(100), fc.oneof(b64Text(0, 20), fc.string({ maxLength: 12 })), (bytes, text) => {
      const encoded = toBase64Url(bytes);
      assert.match(encoded, /^[A-Za-z0-9_-]*$/);
      assert.deepEqual(fromBase64Url(encoded), Uint8Array.from(bytes));
      const decoded = fromBase64Url(text);
      if (decoded !== undefined) assert.equal(toBase64Url(decoded), text, 'canonical: one text per byte string');
    }),
  }),
};

const roundTrip: FuzzProperty = {
  name: 'checkin-token: encodeCheckinToken(payload, signature) decodes to the same fields',
  runs: 30_000,
  build: () => ({
    property: fc.property(
      fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 0xffff }), fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.uint8Array({ minLength: 65, maxLength: 65 }),
      (issuedAt, validityS, nonce, signature) => {
        const token = encodeCheckinToken(encodeCheckinTokenPayload({ issuedAt, validityS, nonce }), signature);
        const d = decodeCheckinToken(token);
        assert.deepEqual({ issuedAt: d.issuedAt, validityS: d.validityS, nonce: d.nonce, signature: d.signature, expiresAt: d.expiresAt },
          { issuedAt, validityS, nonce: Uint8Array.from(nonce), signature: Uint8Array.from(signature), expiresAt: issuedAt + validityS });
      },
    ),
  }),
};

const recover: FuzzProperty = {
  name: 'checkin-token: recoverCheckinTokenSigner on arbitrary signatures gives an address or _INVALID',
  runs: 2_500,
  build: () => ({
    property: fc.property(tokenBytesArb.map((b) => { b[0] = 1; b[5] |= 1; return b; }), fc.boolean(), (bytes, halfS) => {
      if (halfS) bytes[47] &= 0x7f; // s below n/2 more often, so recovery itself runs
      const decoded = decodeCheckinToken(toBase64Url(bytes));
      const r = parseOrRefuse('recoverCheckinTokenSigner', ['WAYMARK_ERR_CHECKIN_TOKEN_INVALID'], () => recoverCheckinTokenSigner(decoded));
      if (r.ok) assert.match(r.value, /^0x[0-9a-fA-F]{40}$/);
    }),
  }),
};

const urlArb = fc.oneof(
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 2, arbitrary: fc.tuple(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.constantFrom('/checkin?token=', '/checkin?x=1&token=', '/checkin/?token=', '?token=', '/checkin#token='), fc.oneof(b64Text(0, 12), fc.string({ maxLength: 8 })))
    .map(([base, mid, token]) => base + mid + token) },
  { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
  // wallet links: <wallet>#kiosk=<kiosk>&token=<token>, with odd kiosk values
  { weight: 2, arbitrary: fc.tuple(fc.webUrl(), fc.oneof(fc.webUrl().map(encodeURIComponent), fc.constantFrom('', 'ftp%3A%2F%2Fx', 'javascript%3Aalert(1)', '%ZZ', 'http%3A%2F%2F'), fc.string({ maxLength: 10 })), fc.oneof(b64Text(0, 12), fc.string({ maxLength: 8 })), fc.boolean())
    .map(([wallet, kiosk, token, swap]) => (swap ? `${wallet}#token=${token}&kiosk=${kiosk}` : `${wallet}#kiosk=${kiosk}&token=${token}`)) },
);

const url: FuzzProperty = {
  name: 'checkin-token: parseCheckinUrl on arbitrary text, and checkinUrl / walletCheckinUrl round trips',
  runs: 30_000,
  build: () => ({
    property: fc.property(urlArb, fc.webUrl({ authoritySettings: { withPort: true, withUserInfo: true, withIPv4: true, withIPv6: true } }), b64Text(1, 110), fc.webUrl({ withQueryParameters: true, withFragments: true }), (text, base, token, wallet) => {
      const r = parseOrRefuse('parseCheckinUrl', MALFORMED, () => parseCheckinUrl(text));
      if (r.ok) {
        assert.ok(r.value.token.length > 0);
        assert.doesNotThrow(() => new URL(r.value.kioskUrl));
      }
      const first = parseCheckinUrl(checkinUrl(base, token));
      assert.equal(first.token, token);
      const again = checkinUrl(first.kioskUrl, token);
      const second = parseCheckinUrl(again);
      assert.equal(second.token, token);
      assert.equal(checkinUrl(second.kioskUrl, token), again, 'a kiosk URL read from a check-in URL makes the same check-in URL');
      const link = parseCheckinUrl(walletCheckinUrl(wallet, base, token));
      assert.equal(link.token, token);
      assert.deepEqual(parseCheckinUrl(walletCheckinUrl(wallet, link.kioskUrl, token)), link, 'a kiosk URL read from a wallet link makes the same link');
    }),
  }),
};

const verifyAltered: FuzzProperty = {
  name: 'checkin-token: CheckinTokenIssuer.verify accepts genuine tokens and refuses every altered one with a code',
  runs: 2_500,
  build: () => {
    const tokens = genuineTokens(4);
    const issuer = new CheckinTokenIssuer({ signer: tokenSigner(), periodS: 20, validityS: 60 });
    return {
      property: fc.property(
        fc.nat({ max: tokens.length - 1 }),
        fc.oneof(
          mutationsArb(2).map((ms) => ({ bytes: ms })),
          fc.tuple(fc.nat(), fc.constantFrom(...B64URL, '=', '.', '')).map(([at, ch]) => ({ char: { at, ch } })),
        ),
        fc.integer({ min: -10_000, max: 70_000 }),
        (which, alteration, dt) => {
          const genuine = tokens[which];
          const now = T0 + which * 20_000 + dt;
          let altered: string;
          if ('bytes' in alteration) altered = toBase64Url(applyMutations(fromBase64Url(genuine)!, alteration.bytes));
          else {
            const at = alteration.char.at % genuine.length;
            altered = genuine.slice(0, at) + alteration.char.ch + genuine.slice(at + 1);
          }
          const r = parseOrRefuse('CheckinTokenIssuer.verify', REFUSED, () => issuer.verify(altered, now));
          if (altered !== genuine) assert.ok(!r.ok, 'an altered token never verifies');
          else if (dt >= 0 && dt < 60_000) assert.ok(r.ok, r.ok ? '' : r.error.message);
          else assert.ok(!r.ok && r.error.code === 'WAYMARK_ERR_CHECKIN_TOKEN_EXPIRED');
        },
      ),
    };
  },
};

export const checkinTokenProperties: FuzzProperty[] = [decodeArbitrary, base64url, roundTrip, recover, url, verifyAltered];
