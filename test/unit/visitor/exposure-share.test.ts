import t from 'tap';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { matchExposures, stayOf, describeMatch, type VisitorCheckin } from '../../../beacon/visitor/exposure.js';
import { sealShare, unsealShare, parseShareDocument, SHARED_CHECKINS_FORMAT, type SharedCheckins } from '../../../beacon/visitor/share.js';
import { toHex } from '../../../beacon/bytes.js';

const T = 1_780_000_000;
const at = (id: string, venueId: number, time: number, extra: Partial<VisitorCheckin> = {}): VisitorCheckin => ({ id, venueId, geohash: 'u4pruydqq', time, ...extra });

t.test('a stay ends at the check-out, else the kiosk dwell figure, else the default', async (t) => {
  t.same(stayOf(at('a', 1, T, { checkoutTime: T + 600, kioskDwellS: 1200 })), { from: T, to: T + 600, departure: 'checkout' });
  t.same(stayOf(at('a', 1, T, { kioskDwellS: 1200 })), { from: T, to: T + 1200, departure: 'kiosk-dwell' });
  t.same(stayOf(at('a', 1, T)), { from: T, to: T + 3600, departure: 'default' });
  t.same(stayOf(at('a', 1, T, { checkoutTime: T + 13 * 3600 })).departure, 'default', 'an implausible check-out is not believed');
});

t.test('matches need the same venue and an overlap; overlap is measured', async (t) => {
  const checkins = [at('a', 1, T, { checkoutTime: T + 1800 }), at('b', 2, T), at('c', 1, T + 10_000)];
  const reports = [{ venueId: 1, from: T + 600, to: T + 7200 }, { venueId: 3, from: T, to: T + 99_999 }];
  const m = matchExposures(checkins, reports);
  t.equal(m.length, 1);
  t.match(m[0], { checkinId: 'a', venueId: 1, overlapS: 1200, departure: 'checkout' });
  t.match(describeMatch(m[0]!), /about 20 min.*from your check-out/);
  t.same(matchExposures([at('x', 1, T + 7200)], reports), [], 'arriving as the window closes is no overlap');
  t.same(matchExposures(checkins, reports, { since: T + 1 }).map((x) => x.checkinId), [], 'check-ins before the retention window are ignored');
  t.throws(() => matchExposures(checkins, [{ venueId: 1, from: 5, to: 4 }]), { code: 'WAYMARK_ERR_EXPOSURE_WINDOW' });
});

t.test('a sealed share opens only with the authority key, and not when altered', async (t) => {
  const sk = secp256k1.utils.randomSecretKey();
  const pk = toHex(secp256k1.getPublicKey(sk, true));
  const share: SharedCheckins = { format: SHARED_CHECKINS_FORMAT, createdAt: T, records: [] };
  const sealed = await sealShare(share, pk);
  t.same(await unsealShare(sealed, toHex(sk)), share);
  t.same(parseShareDocument(JSON.stringify(sealed)), sealed);
  await t.rejects(unsealShare(sealed, toHex(secp256k1.utils.randomSecretKey())), { code: 'WAYMARK_ERR_SHARE_INVALID' }, 'another key');
  const flipped = { ...sealed, ciphertext: (sealed.ciphertext[0] === 'a' ? 'b' : 'a') + sealed.ciphertext.slice(1) };
  await t.rejects(unsealShare(flipped, toHex(sk)), { code: 'WAYMARK_ERR_SHARE_INVALID' }, 'an altered ciphertext');
  await t.rejects(sealShare(share, 'abcd'), { code: 'WAYMARK_ERR_USAGE' });
  t.throws(() => parseShareDocument('{"format":"waymark-shared-checkins-v1","records":[{}]}'), { code: 'WAYMARK_ERR_SHARE_INVALID', message: /record 0/ });
  t.throws(() => parseShareDocument('nope'), { code: 'WAYMARK_ERR_SHARE_INVALID' });
});
