/**
 * Check-in tokens: the 80-byte layout, rotation every period, the validity window, and
 * refusal of forged and malformed tokens.
 */
import t from 'tap';
import { Wallet } from 'ethers';
import { AttestationSigner } from '../../../kiosk/checkin/attestation-signer.js';
import { CheckinTokenIssuer } from '../../../kiosk/checkin/tokens.js';
import { decodeCheckinToken, fromBase64Url, toBase64Url, recoverCheckinTokenSigner, parseCheckinUrl, checkinUrl } from '../../../beacon/visitor/checkin-token.js';
import { KIOSK_KEY, REGISTRY } from './helpers.js';

const make = (key = KIOSK_KEY) => new AttestationSigner({ key, chainId: 31337, verifyingContract: REGISTRY, venueId: 7, geohash: 'u4pruydqq' });
const T0 = Date.UTC(2026, 4, 1, 12, 0, 0); // a multiple of 20 s

t.test('token layout: version, issuedAt, validity, nonce, signature', async (t) => {
  const issuer = new CheckinTokenIssuer({ signer: make(), periodS: 20, validityS: 45, randomBytes: (n) => new Uint8Array(n).fill(0xab) });
  const issued = issuer.current(T0 + 5_000);
  const bytes = fromBase64Url(issued.token)!;
  t.equal(bytes.length, 80);
  t.equal(issued.token.length, 107);
  t.equal(bytes[0], 1, 'version');
  t.equal(new DataView(bytes.buffer).getUint32(1), T0 / 1000, 'issuedAt = start of the period');
  t.equal(new DataView(bytes.buffer).getUint16(5), 45, 'validityS');
  t.same([...bytes.slice(7, 15)], new Array(8).fill(0xab), 'nonce');
  t.ok(bytes[79] === 27 || bytes[79] === 28, 'v');
  t.equal(recoverCheckinTokenSigner(decodeCheckinToken(issued.token)), new Wallet(KIOSK_KEY).address);
  t.same({ issuedAt: issued.issuedAt, expiresAt: issued.expiresAt, nextAt: issued.nextAt }, { issuedAt: T0 / 1000, expiresAt: T0 / 1000 + 45, nextAt: T0 / 1000 + 20 });
});

t.test('a new token every period; each valid for its window only', async (t) => {
  const issuer = new CheckinTokenIssuer({ signer: make(), periodS: 20, validityS: 30 });
  const a = issuer.current(T0);
  t.equal(issuer.current(T0 + 19_999).token, a.token, 'same period, same token');
  const b = issuer.current(T0 + 20_000);
  t.not(b.token, a.token, 'next period, new token');
  t.equal(issuer.verify(a.token, T0 + 29_999).issuedAt, T0 / 1000, 'accepted inside the window');
  t.throws(() => issuer.verify(a.token, T0 + 30_000), { code: 'WAYMARK_ERR_CHECKIN_TOKEN_EXPIRED' }, 'refused at the end of the window');
  t.throws(() => issuer.verify(b.token, T0 + 1_000), { code: 'WAYMARK_ERR_CHECKIN_TOKEN_EXPIRED' }, 'a token from the future is refused');
  const restarted = new CheckinTokenIssuer({ signer: make(), periodS: 20, validityS: 30 });
  t.equal(restarted.verify(b.token, T0 + 25_000).issuedAt, T0 / 1000 + 20, 'a restarted kiosk still accepts its own live token (signature recovered)');
  const shorter = new CheckinTokenIssuer({ signer: make(), periodS: 20, validityS: 20 });
  t.throws(() => shorter.verify(a.token, T0 + 25_000), { code: 'WAYMARK_ERR_CHECKIN_TOKEN_EXPIRED' }, 'the shorter of token and configured validity applies');
});

t.test('forged, altered and malformed tokens are refused with named codes', async (t) => {
  const issuer = new CheckinTokenIssuer({ signer: make(), periodS: 20, validityS: 30 });
  const foreign = new CheckinTokenIssuer({ signer: make(Wallet.createRandom().privateKey), periodS: 20, validityS: 30 }).current(T0).token;
  t.throws(() => issuer.verify(foreign, T0), { code: 'WAYMARK_ERR_CHECKIN_TOKEN_INVALID' }, 'another kiosk\'s token');
  const bytes = fromBase64Url(issuer.current(T0).token)!;
  bytes[5] ^= 0x01; // stretch the validity
  t.throws(() => new CheckinTokenIssuer({ signer: make(), periodS: 20, validityS: 30 }).verify(toBase64Url(bytes), T0), { code: 'WAYMARK_ERR_CHECKIN_TOKEN_INVALID' }, 'altered payload');
  for (const bad of ['', 'a', 'not base64!', toBase64Url(new Uint8Array(79)), toBase64Url(new Uint8Array(80))]) {
    t.throws(() => issuer.verify(bad, T0), { code: 'WAYMARK_ERR_CHECKIN_TOKEN_MALFORMED' }, JSON.stringify(bad.slice(0, 12)));
  }
});

t.test('only canonical signatures: v 27/28 and low s; of 256 v bytes exactly the one signed is accepted', async (t) => {
  const issuer = new CheckinTokenIssuer({ signer: make(), periodS: 20, validityS: 30 });
  const good = fromBase64Url(issuer.current(T0).token)!;
  const fresh = () => new CheckinTokenIssuer({ signer: make(), periodS: 20, validityS: 30 });
  t.ok(fresh().verify(toBase64Url(good), T0), 'the kiosk\'s own token');
  let accepted = 0;
  for (let v = 0; v < 256; v++) {
    const b = Uint8Array.from(good);
    b[79] = v;
    try {
      fresh().verify(toBase64Url(b), T0);
      accepted++;
    } catch (err) {
      t.equal((err as { code?: string }).code, 'WAYMARK_ERR_CHECKIN_TOKEN_INVALID');
    }
  }
  t.equal(accepted, 1, 'one v byte of 256');
  // the same signature with s' = n - s and the other v recovers the same key, but is not canonical
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const s = BigInt('0x' + Buffer.from(good.subarray(47, 79)).toString('hex'));
  const high = Uint8Array.from(good);
  high.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 47);
  high[79] = good[79] === 27 ? 28 : 27;
  t.throws(() => fresh().verify(toBase64Url(high), T0), { code: 'WAYMARK_ERR_CHECKIN_TOKEN_INVALID', message: /lower half/ }, 'high s');
  const zeroR = Uint8Array.from(good);
  zeroR.fill(0, 15, 47);
  t.throws(() => fresh().verify(toBase64Url(zeroR), T0), { code: 'WAYMARK_ERR_CHECKIN_TOKEN_INVALID' }, 'r = 0');
});

t.test('base64url round-trips and check-in URLs parse', async (t) => {
  for (let n = 0; n < 10; n++) {
    const b = Uint8Array.from({ length: n * 7 + 1 }, (_, i) => (i * 37 + n) & 0xff);
    t.same(fromBase64Url(toBase64Url(b)), b);
  }
  t.equal(toBase64Url(new Uint8Array([0xfb, 0xff])), '-_8');
  t.same(parseCheckinUrl(checkinUrl('http://kiosk.local:8080/', 'abc_-')), { kioskUrl: 'http://kiosk.local:8080', token: 'abc_-' });
  t.throws(() => parseCheckinUrl('http://kiosk.local/other?token=x'), { code: 'WAYMARK_ERR_CHECKIN_TOKEN_MALFORMED' });
});
