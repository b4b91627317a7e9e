/**
 * LSAG ring signatures and community reports: round trips at several ring sizes, linkability
 * under one tag and not across tags, and the committed vectors (valid, invalid, wrong rings,
 * double reports) verified in order; the generator reproduces the committed file.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { keyImageOf, ringPublicKey, ringSign, ringVerify } from '../../community/lsag.js';
import { verifyCommunityReports, type CommunityReport } from '../../community/report.js';
import { communityRingCheck } from '../../community/ring.js';
import { buildCommunityVectors, seededRandom, vectorSecret } from '../vectors/generate-community-vectors.js';

const enc = new TextEncoder();
const vectors = JSON.parse(readFileSync(new URL('../vectors/community-reports.json', import.meta.url), 'utf8'));

t.test('every member of rings of 1, 2 and 5 signs; the signature verifies and hides nothing it should not', async (t) => {
  for (const n of [1, 2, 5]) {
    const secrets = Array.from({ length: n }, (_, i) => vectorSecret(100 + i));
    const ring = secrets.map(ringPublicKey);
    for (let i = 0; i < n; i++) {
      const sig = ringSign({ ring, secretKey: secrets[i]!, message: enc.encode('m'), linkTag: enc.encode('tag'), random: seededRandom(`r${n}/${i}`) });
      t.doesNotThrow(() => ringVerify({ ring, message: enc.encode('m'), linkTag: enc.encode('tag'), signature: sig }), `ring ${n}, signer ${i}`);
      t.same(sig.keyImage, keyImageOf(secrets[i]!, enc.encode('tag')));
      t.throws(() => ringVerify({ ring, message: enc.encode('m2'), linkTag: enc.encode('tag'), signature: sig }), { code: 'WAYMARK_ERR_RING_SIGNATURE_INVALID' }, 'another message');
      t.throws(() => ringVerify({ ring, message: enc.encode('m'), linkTag: enc.encode('tag2'), signature: sig }), { code: 'WAYMARK_ERR_RING_SIGNATURE_INVALID' }, 'another tag');
    }
  }
});

t.test('one key links under one tag, not across tags; a key outside the ring cannot sign', async (t) => {
  const secrets = [1, 2, 3].map((i) => vectorSecret(200 + i));
  const ring = secrets.map(ringPublicKey);
  const a = ringSign({ ring, secretKey: secrets[0]!, message: enc.encode('a'), linkTag: enc.encode('E1') });
  const b = ringSign({ ring: ring.slice(0, 2), secretKey: secrets[0]!, message: enc.encode('b'), linkTag: enc.encode('E1') });
  const c = ringSign({ ring, secretKey: secrets[0]!, message: enc.encode('c'), linkTag: enc.encode('E2') });
  t.same(a.keyImage, b.keyImage, 'same key, same tag, even in another ring: linked');
  t.notSame(a.keyImage, c.keyImage, 'another epoch: not linked');
  t.throws(() => ringSign({ ring, secretKey: vectorSecret(999), message: enc.encode('x'), linkTag: enc.encode('E1') }), RangeError);
  t.throws(() => ringSign({ ring: [ring[0]!, ring[0]!], secretKey: secrets[0]!, message: enc.encode('x'), linkTag: enc.encode('E1') }), RangeError, 'a key twice');
});

t.test('the committed vectors verify in order, each as expected', async (t) => {
  const community = { region: vectors.region, withoutKey: [], kiosks: vectors.communityKeys.map((k: string, i: number) => ({ kiosk: `kiosk${i}`, venueId: 1n, publicKey: k })) };
  const verdicts = verifyCommunityReports(vectors.cases.map((c: { report: CommunityReport }) => c.report), { region: vectors.region, acceptRing: communityRingCheck(community) });
  t.equal(verdicts.length, vectors.cases.length);
  vectors.cases.forEach((c: { name: string; expect: string; linkedTo?: number }, i: number) => {
    const v = verdicts[i]!;
    t.equal(v.ok ? 'ok' : v.code, c.expect, `${i}: ${c.name}${v.message ? ` (${v.message})` : ''}`);
    if (c.linkedTo !== undefined) t.equal(v.linkedTo, c.linkedTo, 'linked to the earlier report');
  });
});

t.test('the generator reproduces the committed vectors', async (t) => {
  t.same(JSON.parse(JSON.stringify(buildCommunityVectors())), vectors);
});
