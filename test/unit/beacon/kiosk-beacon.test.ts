import t from 'tap';
import { ManualClock } from '../../../core/clock.js';
import { KioskBeacon, fromHex, toHex, verifyBeaconFrame } from '../../../beacon/index.js';
import { vectors } from './vectors.js';

const A = vectors.valid[0];
const secretKey = fromHex(vectors.keys.kioskA.secretKey);

t.test('signs the golden frame for its epoch and rotates at the boundary', async (t) => {
  const beacon = new KioskBeacon({ secretKey, geohash: A.fields.geohash });
  t.equal(toHex(beacon.publicKey), A.publicKey);
  t.equal(toHex(beacon.kioskId), A.fields.kioskId, 'default kiosk id from the key');
  const start = A.fields.epoch * 30_000;
  const e = beacon.at(start + 29_999);
  t.equal(toHex(e.frame), A.frame);
  t.same(e.fragments.map(toHex), A.fragments);
  t.equal(toHex(e.extended), A.extended);
  t.same([e.startMs, e.endMs], [start, start + 30_000]);
  t.equal(beacon.at(start), e, 'cached within the epoch');
  const next = beacon.at(start + 30_000);
  t.equal(next.epoch, A.fields.epoch + 1);
  t.ok(verifyBeaconFrame(next.frame, beacon.publicKey, (start + 30_000) / 1000).valid);
});

t.test('refuses to sign while the clock is not synchronized', async (t) => {
  const beacon = new KioskBeacon({ secretKey, geohash: A.fields.geohash, periodS: 10, txPower: -70, kioskId: fromHex('0102030405060708') });
  const clock = new ManualClock(A.fields.epoch * 30_000);
  t.equal(beacon.current(clock).epoch, Math.floor(clock.now() / 10_000));
  clock.setSyncStatus({ synced: false, source: 'none', detail: 'no NTP yet' });
  t.throws(() => beacon.current(clock), { code: 'WAYMARK_ERR_CLOCK_UNSYNCED' });
});

t.test('validates its configuration up front', async (t) => {
  t.throws(() => new KioskBeacon({ secretKey, geohash: 'nope' }), RangeError);
  t.throws(() => new KioskBeacon({ secretKey, geohash: A.fields.geohash, periodS: 0 }), RangeError);
  t.throws(() => new KioskBeacon({ secretKey: new Uint8Array(16), geohash: A.fields.geohash }), RangeError);
  t.throws(() => new KioskBeacon({ secretKey, geohash: A.fields.geohash, kioskId: new Uint8Array(4) }), RangeError);
});
