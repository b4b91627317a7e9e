import t from 'tap';
import { BeaconAssembler, beaconFragmentsInAd, fromHex, type BeaconAssemblyResult } from '../../../beacon/index.js';
import { vectors } from './vectors.js';

const [A, B] = vectors.valid;
const keys = BeaconAssembler.keysFrom({ [A.fields.kioskId]: fromHex(A.publicKey), [B.fields.kioskId]: fromHex(B.publicKey) });
const epochStartMs = (v: typeof A) => v.fields.epoch * v.fields.periodS * 1000;

/** What noble emits for one page: the advertisement alone, then (active scanning) advertisement + scan response. */
function reports(v: typeof A, page: number, timeMs: number, opts: { address?: string; rssi?: number; active?: boolean } = {}) {
  const p = v.pages[page % v.pages.length];
  const adv = beaconFragmentsInAd(fromHex(p.advertisement)).map((data) => ({ uuid: 'fcd1', data }));
  const rsp = beaconFragmentsInAd(fromHex(p.scanResponse)).map((data) => ({ uuid: 'fcd1', data }));
  const base = { address: opts.address ?? 'aa:bb:cc:00:00:01', rssi: opts.rssi ?? -60 };
  const out = [{ ...base, time: timeMs, serviceData: adv }];
  if (opts.active !== false) out.push({ ...base, time: timeMs + 1, serviceData: [...adv, ...rsp] });
  return out;
}

function firstVerified(results: BeaconAssemblyResult[]) {
  return results.find((r) => r.valid);
}

t.test('an active scanner at a 100 ms interval verifies within two advertising events', async (t) => {
  const asm = new BeaconAssembler({ keyFor: keys });
  const t0 = epochStartMs(A) + 5000;
  const [r0, r1] = reports(A, 0, t0).map((r) => asm.feedReport(r));
  t.same(r0.map((r) => (r.valid ? 'valid' : r.error.code)), ['WAYMARK_ERR_BEACON_INCOMPLETE']);
  t.notOk(firstVerified(r1), 'two fragments after the first event');
  const results = reports(A, 1, t0 + 100).flatMap((r) => asm.feedReport(r));
  const ok = firstVerified(results);
  t.ok(ok, 'verified after the second event');
  if (ok?.valid) {
    t.same({ kiosk: ok.beacon.kiosk, geohash: ok.beacon.geohash, epoch: ok.beacon.epoch, rssi: ok.beacon.rssi }, { kiosk: A.fields.kioskId, geohash: A.fields.geohash, epoch: A.fields.epoch, rssi: -60 });
    t.equal(ok.repeat, false);
  }
});

t.test('a passive scanner (advertisements only) verifies after four events, under a second at 100 ms', async (t) => {
  const asm = new BeaconAssembler({ keyFor: keys });
  const t0 = epochStartMs(A) + 1000;
  let verifiedAt: number | undefined;
  for (let i = 0; i < 10 && verifiedAt === undefined; i++) {
    const time = t0 + i * 100;
    if (firstVerified(reports(A, i, time, { active: false }).flatMap((r) => asm.feedReport(r)))) verifiedAt = time;
  }
  t.equal(verifiedAt, t0 + 300);
});

t.test('repeats of a verified frame are cheap and keep a running mean RSSI', async (t) => {
  const asm = new BeaconAssembler({ keyFor: keys });
  const t0 = epochStartMs(A) + 1000;
  for (const r of [...reports(A, 0, t0, { rssi: -60 }), ...reports(A, 1, t0 + 100, { rssi: -60 })]) asm.feedReport(r);
  const again = asm.feedReport(reports(A, 2, t0 + 200, { rssi: -70, active: false })[0]);
  t.equal(again.length, 1);
  const r = again[0];
  t.ok(r.valid && r.repeat);
  if (r.valid) t.ok(r.beacon.rssi! < -60 && r.beacon.rssi! > -70, `mean rssi ${r.beacon.rssi}`);
});

t.test('two kiosks interleaved are kept apart by advertiser', async (t) => {
  const asm = new BeaconAssembler({ keyFor: keys });
  const t0 = epochStartMs(A) + 2000;
  const seen = new Set<string>();
  for (let i = 0; i < 2; i++) {
    for (const r of [...reports(A, i, t0 + i * 100, { address: 'a' }), ...reports(B, i, t0 + i * 100 + 50, { address: 'b' })]) {
      for (const res of asm.feedReport(r)) {
        if (!res.valid && res.error.code !== 'WAYMARK_ERR_BEACON_INCOMPLETE') t.fail(res.error.message);
        if (res.valid) seen.add(res.beacon.geohash);
      }
    }
  }
  t.same([...seen].sort(), [A.fields.geohash, B.fields.geohash].sort());
  t.equal(asm.sources, 2);
});

t.test('replay: fragments recorded two epochs ago are refused', async (t) => {
  const asm = new BeaconAssembler({ keyFor: keys });
  const late = epochStartMs(A) + 2 * A.fields.periodS * 1000 + 10;
  const results = [...reports(A, 0, late), ...reports(A, 1, late + 100)].flatMap((r) => asm.feedReport(r));
  const last = results.at(-1)!;
  t.equal(last.valid ? 'valid' : last.error.code, 'WAYMARK_ERR_BEACON_EPOCH');
});

t.test('a cached verified frame stops being accepted once its epoch window has passed', async (t) => {
  const asm = new BeaconAssembler({ keyFor: keys });
  const t0 = epochStartMs(A) + 1000;
  for (const r of [...reports(A, 0, t0), ...reports(A, 1, t0 + 100)]) asm.feedReport(r);
  const later = asm.feedReport(reports(A, 0, t0 + 2 * A.fields.periodS * 1000, { active: false })[0]);
  t.equal(later[0].valid ? 'valid' : later[0].error.code, 'WAYMARK_ERR_BEACON_EPOCH');
});

t.test('an unknown kiosk is named', async (t) => {
  const asm = new BeaconAssembler({ keyFor: () => undefined });
  const t0 = epochStartMs(A);
  const results = [...reports(A, 0, t0), ...reports(A, 1, t0 + 100)].flatMap((r) => asm.feedReport(r));
  const last = results.at(-1)!;
  t.equal(last.valid ? 'valid' : last.error.code, 'WAYMARK_ERR_BEACON_UNKNOWN_KIOSK');
  if (!last.valid) t.same(last.error.details, { kiosk: A.fields.kioskId });
});

t.test('a wrong registered key gives BAD_SIGNATURE', async (t) => {
  const asm = new BeaconAssembler({ keyFor: () => fromHex(B.publicKey) });
  const t0 = epochStartMs(A);
  const last = [...reports(A, 0, t0), ...reports(A, 1, t0 + 100)].flatMap((r) => asm.feedReport(r)).at(-1)!;
  t.equal(last.valid ? 'valid' : last.error.code, 'WAYMARK_ERR_BEACON_BAD_SIGNATURE');
});

t.test('conflicting copies of a fragment under one address: FRAGMENT_MISMATCH, then recovery', async (t) => {
  const asm = new BeaconAssembler({ keyFor: keys });
  const t0 = epochStartMs(A);
  const fragA = fromHex(A.fragments[0]);
  const fragB = fromHex(B.fragments[0]); // same epoch byte, other kiosk
  t.equal(asm.feed({ source: 's', data: fragA, rssi: -60, timeMs: t0 }).valid, false);
  const r = asm.feed({ source: 's', data: fragB, rssi: -60, timeMs: t0 + 10 });
  t.equal(r.valid ? 'valid' : r.error.code, 'WAYMARK_ERR_BEACON_FRAGMENT_MISMATCH');
  // kiosk B's remaining fragments complete the frame started by its fragment 0
  let last: BeaconAssemblyResult | undefined;
  for (const h of B.fragments.slice(1)) last = asm.feed({ source: 's', data: fromHex(h), rssi: -60, timeMs: t0 + 20 });
  t.ok(last?.valid, 'kiosk B verified');
});

t.test('epoch boundary: fragments of two epochs never mix', async (t) => {
  const asm = new BeaconAssembler({ keyFor: keys });
  // the next epoch's frame of kiosk A, from the golden wrong-epoch mix-up vector
  const mix = vectors.invalid.find((v) => v.name.startsWith('mix-up: fragments 0-1 of epoch E with 2-3 of epoch E+1'))!;
  const t0 = epochStartMs(A) + A.fields.periodS * 1000 - 150;
  const seq = [A.fragments[0], A.fragments[1], mix.fragments![2], mix.fragments![3]];
  const results = seq.map((h, i) => asm.feed({ source: 's', data: fromHex(h), rssi: -60, timeMs: t0 + i * 100 }));
  t.same(results.map((r) => (r.valid ? 'valid' : r.error.code)), Array(4).fill('WAYMARK_ERR_BEACON_INCOMPLETE'));
  t.same(results.map((r) => (!r.valid ? (r.error.details as { have: number[] }).have : [])), [[0], [0, 1], [2], [2, 3]]);
  const done = A.fragments.slice(2).map((h, i) => asm.feed({ source: 's', data: fromHex(h), rssi: -60, timeMs: t0 + 400 + i * 100 }));
  t.ok(done.at(-1)!.valid, 'the first epoch completes from its own fragments');
});

t.test('stale partial frames are dropped; sources are bounded', async (t) => {
  const asm = new BeaconAssembler({ keyFor: keys, maxPartialAgeMs: 1000, maxSources: 3 });
  const t0 = epochStartMs(A);
  asm.feed({ source: 's', data: fromHex(A.fragments[0]), rssi: -60, timeMs: t0 });
  const r = asm.feed({ source: 's', data: fromHex(A.fragments[1]), rssi: -60, timeMs: t0 + 1500 });
  t.same(!r.valid && r.error.details, { source: 's', have: [1], missing: [0, 2, 3], count: 4 });
  for (let i = 0; i < 10; i++) asm.feed({ source: `x${i}`, data: fromHex(A.fragments[0]), rssi: -60, timeMs: t0 });
  t.equal(asm.sources, 3);
  asm.clear();
  t.equal(asm.sources, 0);
});

t.test('malformed fragments and other UUIDs', async (t) => {
  const asm = new BeaconAssembler({ keyFor: keys });
  const r = asm.feed({ source: 's', data: Uint8Array.of(0x00, 1, 2), rssi: -60, timeMs: 0 });
  t.equal(r.valid ? 'valid' : r.error.code, 'WAYMARK_ERR_BEACON_MALFORMED');
  t.same(asm.feedReport({ address: 's', rssi: -60, time: 0, serviceData: [{ uuid: 'feaa', data: Uint8Array.of(1, 2, 3) }] }), []);
  t.throws(() => new BeaconAssembler({} as never), TypeError);
  t.throws(() => new BeaconAssembler({ keyFor: keys, maxSources: 0 }), RangeError);
});
