import t from 'tap';
import fc from 'fast-check';
import {
  beaconFragmentsInAd, decodeBeaconFragment, estimateBeaconDistanceM, fromHex, toHex,
  verifyBeaconFragments, verifyBeaconFrame,
} from '../../../beacon/index.js';
import { vectors } from './vectors.js';

t.test('every valid vector verifies at its own epoch and one either side', async (t) => {
  for (const v of vectors.valid) {
    for (const { now, epochSkew } of v.acceptedAt) {
      const r = verifyBeaconFrame(fromHex(v.frame), fromHex(v.publicKey), now);
      if (!r.valid) {
        t.fail(`${v.name} at ${now}: ${r.error.code}`);
        continue;
      }
      t.same(
        { kiosk: r.beacon.kiosk, geohash: r.beacon.geohash, epoch: r.beacon.epoch, periodS: r.beacon.periodS, txPower: r.beacon.txPower, epochSkew: r.beacon.epochSkew },
        { kiosk: v.fields.kioskId, geohash: v.fields.geohash, epoch: v.fields.epoch, periodS: v.fields.periodS, txPower: v.fields.txPower, epochSkew },
        `${v.name}, skew ${epochSkew}`,
      );
    }
  }
});

t.test('valid vectors verify from fragments in any order, with duplicates', async (t) => {
  for (const v of vectors.valid) {
    const frags = v.fragments.map((h) => fromHex(h));
    const now = v.acceptedAt[0].now;
    for (const order of [frags, [...frags].reverse(), [frags[2], frags[0], frags[2], frags[3], frags[1], frags[0]]]) {
      const r = verifyBeaconFragments(order, fromHex(v.publicKey), now, { rssi: -70 });
      t.ok(r.valid, v.name);
      if (r.valid) {
        t.equal(toHex(r.beacon.frame), v.frame);
        t.equal(r.beacon.rssi, -70);
      }
    }
  }
});

t.test('valid vectors verify from the advertising bytes of any two consecutive pages', async (t) => {
  for (const v of vectors.valid) {
    const n = v.pages.length;
    for (let i = 0; i < n; i++) {
      const pages = [v.pages[i], v.pages[(i + 1) % n]];
      const frags = pages.flatMap((p) => [...beaconFragmentsInAd(fromHex(p.advertisement)), ...beaconFragmentsInAd(fromHex(p.scanResponse))]);
      t.ok(verifyBeaconFragments(frags, fromHex(v.publicKey), v.acceptedAt[0].now).valid, `${v.name}, pages ${i},${(i + 1) % n}`);
    }
    const ext = beaconFragmentsInAd(fromHex(v.extended));
    t.equal(ext.length, 1);
    t.ok(verifyBeaconFragments(ext, fromHex(v.publicKey), v.acceptedAt[0].now).valid, `${v.name}, extended single PDU`);
  }
});

t.test('every invalid vector is refused with its named error', async (t) => {
  const byCode = new Map<string, number>();
  for (const v of vectors.invalid) {
    const r = v.frame !== undefined
      ? verifyBeaconFrame(fromHex(v.frame), fromHex(v.publicKey), v.now)
      : verifyBeaconFragments(v.fragments!.map((h) => fromHex(h)), fromHex(v.publicKey), v.now);
    t.equal(r.valid ? 'valid' : r.error.code, v.error, v.name);
    byCode.set(v.error, (byCode.get(v.error) ?? 0) + 1);
  }
  for (const code of ['MALFORMED', 'BAD_SIGNATURE', 'EPOCH', 'INCOMPLETE', 'FRAGMENT_MISMATCH']) {
    t.ok((byCode.get(`WAYMARK_ERR_BEACON_${code}`) ?? 0) > 0, `vectors cover ${code}`);
  }
});

t.test('the vectors tamper every byte position of the frame and of each fragment', async (t) => {
  const names = new Set(vectors.invalid.map((v) => v.name));
  for (let i = 0; i < 85; i++) t.ok(names.has(`tampered frame byte ${i}`), `frame byte ${i}`);
  vectors.valid[0].fragments.forEach((f, k) => {
    for (let j = 0; j < f.length / 2; j++) t.ok(names.has(`tampered fragment ${k} byte ${j}`), `fragment ${k} byte ${j}`);
  });
});

t.test('replay: a genuine frame two or more epochs old is refused, one epoch old is accepted', async (t) => {
  const v = vectors.valid[0];
  const frame = fromHex(v.frame);
  const key = fromHex(v.publicKey);
  const start = v.fields.epoch * v.fields.periodS;
  const at = (sec: number) => {
    const r = verifyBeaconFrame(frame, key, sec);
    return r.valid ? 'valid' : r.error.code;
  };
  t.equal(at(start), 'valid');
  t.equal(at(start + 2 * v.fields.periodS - 0.001), 'valid', 'last instant of the next epoch');
  t.equal(at(start + 2 * v.fields.periodS), 'WAYMARK_ERR_BEACON_EPOCH', 'first instant two epochs on');
  t.equal(at(start - v.fields.periodS), 'valid', 'phone one epoch behind');
  t.equal(at(start - v.fields.periodS - 0.001), 'WAYMARK_ERR_BEACON_EPOCH', 'phone two epochs behind');
  const strict = verifyBeaconFrame(frame, key, start + v.fields.periodS, { skewEpochs: 0 });
  t.equal(strict.valid ? 'valid' : strict.error.code, 'WAYMARK_ERR_BEACON_EPOCH', 'skewEpochs 0');
});

t.test('any single-byte change to a frame is refused (property)', async (t) => {
  const v = vectors.valid[2];
  const frame = fromHex(v.frame);
  fc.assert(fc.property(fc.integer({ min: 0, max: 84 }), fc.integer({ min: 1, max: 255 }), (pos, x) => {
    const bad = frame.slice();
    bad[pos] ^= x;
    return !verifyBeaconFrame(bad, fromHex(v.publicKey), v.acceptedAt[0].now).valid;
  }), { numRuns: 200 });
  t.pass('held');
});

t.test('error results carry details and a helpful message', async (t) => {
  const v = vectors.valid[0];
  const r = verifyBeaconFragments(v.fragments.slice(0, 2).map((h) => fromHex(h)), fromHex(v.publicKey), v.acceptedAt[0].now);
  t.notOk(r.valid);
  if (!r.valid) {
    t.equal(r.error.code, 'WAYMARK_ERR_BEACON_INCOMPLETE');
    t.same(r.error.details, { have: [0, 1], missing: [2, 3], count: 4 });
    t.match(r.error.message, /missing \[2, 3\]/);
  }
  const e = verifyBeaconFrame(fromHex(v.frame), fromHex(v.publicKey), v.acceptedAt[0].now + 3600);
  t.notOk(e.valid);
  if (!e.valid) t.match(e.error.details, { epoch: v.fields.epoch, periodS: 30, skewEpochs: 1 });
});

t.test('argument errors throw TypeError/RangeError (not a verification result)', async (t) => {
  const v = vectors.valid[0];
  t.throws(() => verifyBeaconFrame(fromHex(v.frame), new Uint8Array(31), 0), RangeError);
  t.throws(() => verifyBeaconFrame(fromHex(v.frame), fromHex(v.publicKey), Number.NaN), RangeError);
  t.throws(() => verifyBeaconFrame(fromHex(v.frame), fromHex(v.publicKey), 0, { skewEpochs: -1 }), RangeError);
});

t.test('fragment headers: index, count and epoch byte', async (t) => {
  const v = vectors.valid[0];
  v.fragments.forEach((h, i) => {
    const f = decodeBeaconFragment(fromHex(h));
    t.same([f.index, f.count, f.epochLow], [i, 4, v.fields.epoch & 0xff]);
  });
});

t.test('distance estimate (log-distance path loss)', async (t) => {
  t.equal(estimateBeaconDistanceM(-59, -59), 1);
  t.equal(Math.round(estimateBeaconDistanceM(-79, -59)), 10);
  t.equal(Math.round(estimateBeaconDistanceM(-79, -59, 4) * 100) / 100, 3.16);
  t.throws(() => estimateBeaconDistanceM(-60, -59, 0), RangeError);
});
