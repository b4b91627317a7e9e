/**
 * Writes test/vectors/community-reports.json: golden anonymous community reports (LSAG ring
 * signatures, docs/PROTOCOL.md "Community reports"), valid and invalid, verified in order so
 * that double reports link. Deterministic (seeded randomness): run it again, get the same file.
 *   node --import tsx test/vectors/generate-community-vectors.ts
 */
import { writeFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { ringPublicKey } from '../../community/lsag.js';
import { signCommunityReport, type CommunityReport } from '../../community/report.js';

const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');
const enc = new TextEncoder();

/** A seeded byte source: SHA-256(label || counter), so each vector's randomness is fixed. */
export function seededRandom(label: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let o = 0; o < n; o += 32) out.set(sha256(enc.encode(`${label}/${counter++}`)).slice(0, Math.min(32, n - o)), o);
    return out;
  };
}

export function vectorSecret(i: number): Uint8Array {
  return sha256(enc.encode(`waymark-vector-kiosk-${i}`));
}

export function buildCommunityVectors() {
  const region = 'u4pr';
  const secrets = [0, 1, 2, 3].map(vectorSecret);
  const ring = secrets.map(ringPublicKey);
  const stranger = vectorSecret(99);
  const T = 1_767_225_600; // 2026-01-01T00:00:00Z, epoch 490896
  const sign = (label: string, who: number, body: { time: number; occupancy: number; crowding: 'low' | 'moderate' | 'high' | 'full'; region?: string }, r: Uint8Array[] = ring, key = secrets[who]!) =>
    signCommunityReport({ body: { region: body.region ?? region, time: body.time, occupancy: body.occupancy, crowding: body.crowding }, ring: r, secretKey: key, random: seededRandom(label) });

  const cases: { name: string; report: CommunityReport; expect: string; linkedTo?: number }[] = [];
  const add = (name: string, report: CommunityReport, expect: string, linkedTo?: number) => cases.push({ name, report, expect, ...(linkedTo !== undefined ? { linkedTo } : {}) });

  const first = sign('first', 1, { time: T + 60, occupancy: 42, crowding: 'moderate' });
  add('kiosk 1 reports in epoch E', first, 'ok');
  add('kiosk 2 reports in epoch E (another key image)', sign('second', 2, { time: T + 120, occupancy: 80, crowding: 'high' }), 'ok');
  add('kiosk 1 again in epoch E: linked to report 0', sign('double', 1, { time: T + 1800, occupancy: 95, crowding: 'full' }), 'WAYMARK_ERR_RING_DOUBLE_REPORT', 0);
  add('kiosk 1 in epoch E+1: not linked', sign('next-epoch', 1, { time: T + 3600 + 5, occupancy: 12, crowding: 'low' }), 'ok');
  add('occupancy changed after signing', { ...sign('tamper-occ', 3, { time: T + 200, occupancy: 10, crowding: 'low' }), occupancy: 11 }, 'WAYMARK_ERR_RING_SIGNATURE_INVALID');
  const s0 = sign('tamper-s', 3, { time: T + 210, occupancy: 10, crowding: 'low' });
  add('one response byte flipped', { ...s0, signature: { ...s0.signature, s: [s0.signature.s[0]!.slice(0, -2) + (s0.signature.s[0]!.endsWith('00') ? '01' : '00'), ...s0.signature.s.slice(1)] } }, 'WAYMARK_ERR_RING_SIGNATURE_INVALID');
  const other = sign('image-swap', 0, { time: T + 220, occupancy: 10, crowding: 'low' });
  add("another report's key image (dodging the link)", { ...other, signature: { ...other.signature, keyImage: first.signature.keyImage } }, 'WAYMARK_ERR_RING_SIGNATURE_INVALID');
  const ringSwap = sign('ring-swap', 0, { time: T + 230, occupancy: 10, crowding: 'low' });
  const wrongRing = [...ring.slice(0, 3), ringPublicKey(stranger)].map(hex).sort();
  add('ring member replaced after signing (wrong ring)', { ...ringSwap, ring: wrongRing }, 'WAYMARK_ERR_RING_SIGNATURE_INVALID');
  add('a stranger signs with a ring holding its own key', sign('stranger', 0, { time: T + 240, occupancy: 10, crowding: 'low' }, [...ring.slice(0, 3), ringPublicKey(stranger)], stranger), 'WAYMARK_ERR_COMMUNITY_RING_INVALID');
  add('a ring of 2 of the 4 community keys (narrows who reported)', sign('partial', 0, { time: T + 250, occupancy: 10, crowding: 'low' }, ring.slice(0, 2)), 'WAYMARK_ERR_COMMUNITY_RING_INVALID');
  add('signed for another region', sign('region', 0, { time: T + 260, occupancy: 10, crowding: 'low', region: 'u4pq' }), 'WAYMARK_ERR_COMMUNITY_RING_INVALID');
  const unsorted = sign('unsorted', 0, { time: T + 270, occupancy: 10, crowding: 'low' });
  add('ring not in sorted order', { ...unsorted, ring: [...unsorted.ring].reverse() }, 'WAYMARK_ERR_RING_SIGNATURE_INVALID');
  add('key image not on the curve', { ...unsorted, signature: { ...unsorted.signature, keyImage: '0x02' + 'ff'.repeat(32) } }, 'WAYMARK_ERR_RING_SIGNATURE_INVALID');
  add('crowding level not in the list', { ...unsorted, crowding: 'packed' as never }, 'WAYMARK_ERR_BAD_REQUEST');

  return {
    description: 'Anonymous community reports (docs/PROTOCOL.md "Community reports"): verify `cases[].report` in order against the community `region` + `communityKeys`; each gives `expect` (ok or an error code). Double reports link to `linkedTo`.',
    generator: 'test/vectors/generate-community-vectors.ts',
    region,
    communityKeys: ring.map(hex).sort(),
    secretKeys: secrets.map(hex),
    strangerSecretKey: hex(stranger),
    cases,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(new URL('./community-reports.json', import.meta.url), JSON.stringify(buildCommunityVectors(), null, 2) + '\n');
  console.log('wrote test/vectors/community-reports.json');
}
