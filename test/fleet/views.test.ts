import t from 'tap';
import { inRegion, kioskView, venueStatus } from '../../fleet/src/api/views.js';

t.test('venue status follows the registry: Infected until the exposure lapses, then Clean', async (t) => {
  const now = 1_000n;
  t.same(venueStatus({ hasBatches: false, exposureTo: 0n, infectedUntil: 0n }, now), { status: 'Empty', until: null });
  t.same(venueStatus({ hasBatches: true, exposureTo: 0n, infectedUntil: 0n }, now), { status: 'Clean', until: null });
  t.same(venueStatus({ hasBatches: true, exposureTo: 900n, infectedUntil: 2_000n }, now), { status: 'Infected', until: 2000 });
  t.same(venueStatus({ hasBatches: false, exposureTo: 900n, infectedUntil: 1_000n }, now), { status: 'Clean', until: null }, 'lapsed exactly at now');
});

t.test('a kiosk is silent after N missed batch intervals; lag counts from authorization until its first batch', async (t) => {
  const base = { address: '0xk', venueId: 1n, active: true, authorizedAt: 0n, batches: 3n, lastBatchSeq: 2n, lastBatchCount: 5 };
  t.same(kioskView({ ...base, lastBatchAt: 700n }, 1_000n, 100, 3), { address: '0xk', active: true, batches: 3, lastBatchAt: 700, lastBatchSeq: 2, lagS: 300, silent: false, beaconId: null, beaconKey: null });
  t.equal(kioskView({ ...base, lastBatchAt: 699n }, 1_000n, 100, 3).silent, true);
  t.equal(kioskView({ ...base, lastBatchAt: null, lastBatchSeq: null, batches: 0n }, 1_000n, 100, 3).lagS, 1000);
  t.equal(kioskView({ ...base, active: false, lastBatchAt: 0n }, 1_000n, 100, 3).silent, false, 'a revoked kiosk is not flagged');
  t.match(kioskView({ ...base, lastBatchAt: 700n, beaconId: '0x0102030405060708', beaconKey: `0x${'ab'.repeat(32)}` }, 1_000n, 100, 3),
    { beaconId: '0x0102030405060708', beaconKey: `0x${'ab'.repeat(32)}` }, 'its current beacon key');
});

t.test('region prefixes', async (t) => {
  t.ok(inRegion('u4pruydqq', 'u4pr'));
  t.ok(inRegion('u4pruydqq', 'u4pruydqq'));
  t.notOk(inRegion('u4pruydqq', 'u4q'));
});
