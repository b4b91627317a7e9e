import t from 'tap';
import { ManualClock } from '../../core/clock.js';
import { TypedEmitter } from '../../core/events.js';
import type { Advertiser, AdvertiserEvents } from '../../core/ports.js';
import { BeaconBroadcaster } from '../../kiosk/beacon-broadcaster.js';
import { KioskBeacon, fromHex } from '../../beacon/index.js';

/** An Advertiser port whose start fails a scripted number of times (as bleno's advertisingStartError). */
class ScriptedAdvertiser extends TypedEmitter<AdvertiserEvents> implements Advertiser {
  readonly name = 'test/scripted';
  enabled = false;
  data: Uint8Array[] = [];
  starts = 0;
  constructor(public failStarts = 0) {
    super();
  }
  async setData(adv: Uint8Array) {
    this.data.push(adv);
  }
  async start() {
    this.starts++;
    if (this.failStarts > 0) {
      this.failStarts--;
      throw new Error('advertisingStartError: command disallowed');
    }
    this.enabled = true;
  }
  async stop() {
    this.enabled = false;
  }
  async close() {
    this.enabled = false;
  }
  fire<K extends keyof AdvertiserEvents & string>(event: K, ...args: Parameters<AdvertiserEvents[K]>) {
    this.emit(event, ...args);
  }
}

const beacon = () => new KioskBeacon({ secretKey: fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'), geohash: 'u4pruydqq' });
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('pauses while the clock is unsynced and comes on air once it is', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 7, 1));
  clock.setSyncStatus({ synced: false, source: 'none' });
  const adv = new ScriptedAdvertiser();
  const b = new BeaconBroadcaster({ advertiser: adv, beacon: beacon(), clock, pageDwellMs: 20, backoffMs: 10 });
  t.teardown(() => b.stop());
  await b.start();
  t.equal(adv.enabled, false);
  t.equal(b.stats().paused, 'clock not synchronized');
  clock.setSyncStatus({ synced: true, source: 'manual' });
  for (let i = 0; i < 100 && !adv.enabled; i++) await wait(10);
  t.equal(adv.enabled, true);
  t.equal(b.stats().paused, null);
  t.ok(b.stats().recoveries >= 1);
});

t.test('retries with backoff after start errors (advertisingStartError) and recovers', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 7, 1));
  const adv = new ScriptedAdvertiser(3);
  const b = new BeaconBroadcaster({ advertiser: adv, beacon: beacon(), clock, pageDwellMs: 20, backoffMs: 5 });
  t.teardown(() => b.stop());
  await b.start();
  for (let i = 0; i < 200 && !adv.enabled; i++) await wait(5);
  t.equal(adv.enabled, true);
  t.equal(adv.starts, 4, 'three failures, then success');
  t.equal(b.stats().errors, 3);
  t.match(b.stats().lastError, /advertisingStartError/);
});

t.test('an adapter reset (poweredOn again) re-applies the beacon; a new epoch re-signs', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 7, 1));
  const adv = new ScriptedAdvertiser();
  const b = new BeaconBroadcaster({ advertiser: adv, beacon: beacon(), clock, pageDwellMs: 1000 });
  t.teardown(() => b.stop());
  await b.start();
  const firstEpoch = b.stats().epoch;
  t.equal(adv.starts, 1);
  adv.enabled = false; // the controller reset and lost its state
  adv.fire('state', 'poweredOff');
  clock.advance(30_000);
  adv.fire('state', 'poweredOn');
  for (let i = 0; i < 100 && !adv.enabled; i++) await wait(5);
  t.equal(adv.enabled, true);
  t.equal(adv.starts, 2);
  t.equal(b.stats().epoch, firstEpoch! + 1, 'the next epoch is signed and on air');
  t.equal(b.stats().epochs, 2);
});

t.test('an advertiser with extended advertising gets the single-PDU frame, once per epoch', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 7, 1));
  const adv = Object.assign(new ScriptedAdvertiser(), { extendedAdvertising: true });
  const b = new BeaconBroadcaster({ advertiser: adv, beacon: beacon(), clock, pageDwellMs: 5 });
  t.teardown(() => b.stop());
  await b.start();
  await wait(40);
  t.equal(adv.enabled, true);
  t.equal(adv.data.length, 1, 'no page cycling');
  t.equal(adv.data[0]!.length, 94, 'the extended form: the whole 85-byte frame in one Service Data AD');
  t.same([...adv.data[0]!], [...beacon().at(clock.now()).extended]);
  clock.advance(30_000);
  for (let i = 0; i < 100 && adv.data.length < 2; i++) await wait(5);
  t.equal(adv.data.length, 2, 'the next epoch is set once');
  t.equal(b.stats().epochs, 2);
});
