import t from 'tap';
import { ManualClock } from '../../core/clock.js';
import type { AdvertisingReport } from '../../core/ports.js';
import { defaultHciHub } from '../../sim/hci-hub.js';
import { createBlenoAdvertiser } from '../../kiosk/radio/bleno-advertiser.js';
import { createNobleScanner } from '../../kiosk/radio/noble-scanner.js';
import { VirtualHciSocket } from '../../sim/hci-socket.js';

/** Flags, then Service Data 0xFEAA with 4 bytes. */
const ADV = Uint8Array.from([0x02, 0x01, 0x06, 0x07, 0x16, 0xaa, 0xfe, 0xde, 0xad, 0xbe, 0xef]);
/** Complete Local Name "Waymark". */
const SCAN_RSP = Uint8Array.from([0x08, 0x09, ...Buffer.from('Waymark')]);

t.test('what bleno advertises appears on the controller and is heard by a kiosk next door', async (t) => {
  const tx = defaultHciHub.add(40);
  const rx = defaultHciHub.add(41);
  const advertiser = createBlenoAdvertiser({ socket: VirtualHciSocket, deviceId: 40 });
  const scanner = createNobleScanner({ socket: VirtualHciSocket, deviceId: 41, clock: new ManualClock() });
  t.teardown(async () => {
    await advertiser.close();
    await scanner.close();
    defaultHciHub.remove(40);
    defaultHciHub.remove(41);
  });
  t.equal(advertiser.name, 'bleno/hci-socket(virtual hci40)');

  await advertiser.setData(ADV, SCAN_RSP);
  await advertiser.start(100);
  const state = tx.advertising();
  t.equal(state.enabled, true);
  t.equal(state.intervalMs, 100);
  t.same([...state.data], [...ADV]);
  t.same([...state.scanResponse], [...SCAN_RSP]);
  t.equal(rx.advertising().enabled, false, 'the other controller is not advertising');

  await scanner.start();
  const heard = new Promise<AdvertisingReport[]>((resolve) => {
    const got: AdvertisingReport[] = [];
    scanner.on('report', (r) => {
      got.push(r);
      if (got.length === 2) resolve(got);
    });
  });
  t.equal(defaultHciHub.exchange(Date.now(), -48), 2, 'ADV_IND and, for the active scanner, SCAN_RSP');
  const [adv, rsp] = await heard;
  t.match(adv, { address: 'b8:27:eb:00:00:29', addressType: 'public', addressKind: 'public', rssi: -48, connectable: true });
  t.same(adv.serviceData, [{ uuid: 'feaa', data: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]) }]);
  t.equal(rsp.localName, 'Waymark');

  // new data while advertising goes straight to the controller
  const next = Uint8Array.from([0x02, 0x01, 0x06, 0x03, 0xff, 0x01, 0x02]);
  await advertiser.setData(next);
  t.same([...tx.advertising().data], [...next]);

  await advertiser.stop();
  await new Promise((r) => setImmediate(r));
  t.equal(tx.advertising().enabled, false);
});

t.test('payloads over 31 bytes are refused before bleno sees them', async (t) => {
  defaultHciHub.add(42);
  const advertiser = createBlenoAdvertiser({ socket: VirtualHciSocket, deviceId: 42 });
  t.teardown(async () => {
    await advertiser.close();
    defaultHciHub.remove(42);
  });
  await t.rejects(advertiser.setData(new Uint8Array(32)), RangeError);
});
