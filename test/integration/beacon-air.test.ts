/**
 * The signed beacon end to end over the virtual air: the kiosk's broadcaster drives real
 * bleno on one virtual controller, a phone's real noble scans on another, and the
 * phone-side assembler verifies what it heard. Any single flipped byte is refused.
 */
import t from 'tap';
import { ManualClock } from '../../core/clock.js';
import type { AdvertisingReport } from '../../core/ports.js';
import { defaultHciHub } from '../../sim/hci-hub.js';
import { createBlenoAdvertiser } from '../../kiosk/radio/bleno-advertiser.js';
import { createNobleScanner } from '../../kiosk/radio/noble-scanner.js';
import { BeaconBroadcaster } from '../../kiosk/beacon-broadcaster.js';
import { KioskBeacon, BeaconAssembler, BEACON_SERVICE_UUID, fromHex, toHex } from '../../beacon/index.js';
import { VirtualHciSocket } from '../../sim/hci-socket.js';

const SECRET = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const T0 = Date.UTC(2026, 7, 1, 10, 0, 3);
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('bleno advertiser -> virtual air -> noble scanner -> verifier: valid; any flipped byte: invalid', async (t) => {
  const kioskCtl = defaultHciHub.add(60);
  defaultHciHub.add(61);
  const clock = new ManualClock(T0);
  const advertiser = createBlenoAdvertiser({ socket: VirtualHciSocket, deviceId: 60 });
  const phone = createNobleScanner({ socket: VirtualHciSocket, deviceId: 61, clock });
  const beacon = new KioskBeacon({ secretKey: SECRET, geohash: 'u4pruydqq' });
  const broadcaster = new BeaconBroadcaster({ advertiser, beacon, clock, intervalMs: 100, pageDwellMs: 20 });
  t.teardown(async () => {
    await broadcaster.stop();
    await advertiser.close();
    await phone.close();
    defaultHciHub.remove(60);
    defaultHciHub.remove(61);
  });

  const heard: AdvertisingReport[] = [];
  phone.on('report', (r) => heard.push(r));
  await phone.start();
  await broadcaster.start();
  t.equal(kioskCtl.advertising().enabled, true, 'the beacon is on air');
  t.equal(kioskCtl.advertising().intervalMs, 100);

  const assembler = new BeaconAssembler({ keyFor: BeaconAssembler.keysFrom({ [toHex(beacon.kioskId)]: beacon.publicKey }) });
  let verified: any;
  for (let i = 0; i < 100 && !verified; i++) {
    defaultHciHub.exchange(clock.now(), -52);
    await tick(15);
    for (const r of heard.splice(0)) {
      for (const res of assembler.feedReport(r)) if (res.valid) verified = res;
    }
  }
  t.ok(verified, 'the phone verified the beacon it heard');
  t.equal(verified.beacon.geohash, 'u4pruydqq');
  t.equal(verified.beacon.kiosk, toHex(beacon.kioskId));
  t.equal(verified.beacon.epoch, Math.floor(T0 / 1000 / 30));
  t.equal(verified.beacon.rssi, -52);
  t.ok(broadcaster.stats().pageSwitches >= 2, 'pages alternate within the epoch');

  // Record the fragments as heard on air, then replay them with one byte flipped.
  const onAir = new Map<number, Uint8Array>();
  for (let i = 0; i < 100 && onAir.size < 4; i++) {
    defaultHciHub.exchange(clock.now(), -52);
    await tick(15);
    for (const r of heard.splice(0)) {
      for (const sd of r.serviceData) if (sd.uuid === BEACON_SERVICE_UUID) onAir.set(sd.data[0]! >> 4, sd.data);
    }
  }
  t.equal(onAir.size, 4, 'all four fragments were heard');
  const fragments = [...onAir.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => f);
  const keyFor = BeaconAssembler.keysFrom({ [toHex(beacon.kioskId)]: beacon.publicKey });
  const feedAll = (frags: Uint8Array[]) => {
    const a = new BeaconAssembler({ keyFor });
    let last: any;
    for (const f of frags) last = a.feed({ source: 'aa:bb:cc:dd:ee:ff', data: f, rssi: -52, timeMs: clock.now() });
    return last;
  };
  t.equal(feedAll(fragments).valid, true, 'the recorded fragments verify as they are');
  let refused = 0;
  let positions = 0;
  for (let f = 0; f < fragments.length; f++) {
    for (let b = 0; b < fragments[f]!.length; b++) {
      positions++;
      const tampered = fragments.map((x) => x.slice());
      tampered[f]![b]! ^= 0x01;
      if (feedAll(tampered).valid === false) refused++;
    }
  }
  t.equal(refused, positions, `every one of ${positions} single-byte flips is refused`);
});

t.test('a frame recorded two epochs ago is refused; one epoch of skew is accepted', async (t) => {
  const beacon = new KioskBeacon({ secretKey: SECRET, geohash: 'u4pruydqq' });
  const keyFor = BeaconAssembler.keysFrom({ [toHex(beacon.kioskId)]: beacon.publicKey });
  const recorded = beacon.at(T0).fragments;
  const replayAt = (ms: number) => {
    const a = new BeaconAssembler({ keyFor });
    let last: any;
    for (const f of recorded) last = a.feed({ source: 'relay', data: f, rssi: -60, timeMs: ms });
    return last;
  };
  t.equal(replayAt(T0 + 30_000).valid, true, 'next epoch: within the ±1 tolerance');
  const late = replayAt(T0 + 60_000);
  t.equal(late.valid, false);
  t.equal(late.error.code, 'WAYMARK_ERR_BEACON_EPOCH');
});
