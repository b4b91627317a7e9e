/**
 * The scanner's direct path: real HCI bytes from the virtual controller, through the packet
 * guard, read by hci/parser.ts instead of noble, which still owns the adapter. The same bytes
 * through noble's own parser (reportPath 'noble') give the same reports.
 */
import t, { type Test } from 'tap';
import { ManualClock } from '../../core/clock.js';
import type { AdvertisingReport } from '../../core/ports.js';
import { AdvEventType, parseAddress, type AirPacket } from '../../sim/air.js';
import { defaultHciHub } from '../../sim/hci-hub.js';
import { VirtualHciSocket } from '../../sim/hci-socket.js';
import { leExtendedAdvertisingReportEvent } from '../../kiosk/radio/hci/writer.js';
import { readAdvertisingReports } from '../../kiosk/radio/hci/parser.js';
import { createNobleScanner, type NobleScanner, type ReportPath } from '../../kiosk/radio/noble-scanner.js';
import { nobleRetainedEntries } from '../../kiosk/radio/ble-compat.js';

const clock = new ManualClock(Date.UTC(2026, 4, 2, 12));
let nextDevId = 40;

async function scanners(t: Test, paths: ReportPath[]) {
  const devId = nextDevId++;
  const controller = defaultHciHub.add(devId);
  const list = paths.map((reportPath) => createNobleScanner({ socket: VirtualHciSocket, deviceId: devId, clock, restartDelayMs: 10, reportPath }));
  t.teardown(async () => {
    for (const s of list) await s.close();
    defaultHciHub.remove(devId);
  });
  for (const s of list) await s.start();
  return { controller, list };
}

function collect(scanner: NobleScanner, n: number, timeoutMs = 5000): Promise<AdvertisingReport[]> {
  const got: AdvertisingReport[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${n} reports`)), timeoutMs);
    scanner.on('report', (r) => {
      got.push(r);
      if (got.length === n) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

// AD payloads, byte by byte
const AD: Record<string, number[]> = {
  // Flags 0x06 | Service Data 16-bit 0xFEAA: 01 02 03 | Complete Local Name "WM"
  eddystone: [0x02, 0x01, 0x06, 0x06, 0x16, 0xaa, 0xfe, 0x01, 0x02, 0x03, 0x03, 0x09, 0x57, 0x4d],
  // Flags | Manufacturer Specific: Apple 0x004C, Nearby Info 10 05 01 18 aa bb cc
  apple: [0x02, 0x01, 0x1a, 0x0a, 0xff, 0x4c, 0x00, 0x10, 0x05, 0x01, 0x18, 0xaa, 0xbb, 0xcc],
  // TX Power Level -12 dBm | Service Data 32-bit 0x12345678: ee | Shortened Local Name "Ab"
  txPower: [0x02, 0x0a, 0xf4, 0x06, 0x20, 0x78, 0x56, 0x34, 0x12, 0xee, 0x03, 0x08, 0x41, 0x62],
  // Service Data 128-bit (UUID bytes 00..0f, little-endian on air): 99
  uuid128: [0x12, 0x21, ...Array.from({ length: 16 }, (_, i) => i), 0x99],
  // Flags, then zero padding (allowed)
  padded: [0x02, 0x01, 0x06, 0x00, 0x00, 0x00],
};

t.test('the direct path and noble make the same reports of the same bytes', async (t) => {
  const { controller, list } = await scanners(t, ['direct', 'noble']);
  const [direct, viaNoble] = list as [NobleScanner, NobleScanner];
  t.equal(direct.reportPath, 'direct');
  const packets: AirPacket[] = [
    { address: 'c1:02:03:04:05:06', addressType: 1, eventType: AdvEventType.ADV_NONCONN_IND, data: AD.eddystone! },
    { address: '4a:02:03:04:05:07', addressType: 1, eventType: AdvEventType.ADV_IND, data: AD.apple! },
    { address: '0a:02:03:04:05:08', addressType: 1, eventType: AdvEventType.ADV_NONCONN_IND, data: AD.txPower! },
    { address: '00:1a:7d:da:71:13', addressType: 0, eventType: AdvEventType.ADV_IND, data: AD.uuid128! },
    { address: '7f:02:03:04:05:09', addressType: 1, eventType: AdvEventType.ADV_NONCONN_IND, data: AD.padded! },
  ].map((p, i) => ({ time: clock.now(), address: parseAddress(p.address), addressType: p.addressType as 0 | 1, eventType: p.eventType, data: Uint8Array.from(p.data), rssi: -40 - i }));
  const a = collect(direct, packets.length);
  const b = collect(viaNoble, packets.length);
  controller.hearAll(packets);
  const [mine, nobles] = await Promise.all([a, b]);
  t.same(mine, nobles);
  t.same(mine[0], {
    address: 'c1:02:03:04:05:06', addressType: 'random', addressKind: 'static', rssi: -40, time: clock.now(), connectable: false,
    serviceData: [{ uuid: 'feaa', data: Uint8Array.from([1, 2, 3]) }], localName: 'WM',
  });
  t.match(mine[1], { addressKind: 'resolvable', connectable: true, manufacturerData: Uint8Array.from(AD.apple!.slice(5)) });
  t.match(mine[2], { addressKind: 'non-resolvable', txPowerLevel: -12, localName: 'Ab', serviceData: [{ uuid: '12345678', data: Uint8Array.from([0xee]) }] });
  t.match(mine[3], { addressType: 'public', addressKind: 'public', serviceData: [{ uuid: '0f0e0d0c0b0a09080706050403020100' }] });
  t.match(mine[4], { serviceData: [] });
  t.equal(direct.stats().reports, packets.length);
  t.same(nobleRetainedEntries(direct.noble), {
    peripherals: 0, services: 0, characteristics: 0, descriptors: 0, discoveredUuids: 0, addresses: 0, discoveries: 0,
  }, "noble never saw the reports: its per-address maps are empty without pruning");
});

t.test('noble keeps the adapter and sees no advertising report on the direct path', async (t) => {
  const { controller, list } = await scanners(t, ['direct']);
  const direct = list[0]!;
  let discovered = 0;
  direct.noble.on('discover', () => discovered++);
  const got = collect(direct, 200);
  for (let i = 0; i < 200; i++) {
    controller.hear({ time: clock.now(), address: Uint8Array.from([0x40, 0, 0, 0, i >> 8, i & 0xff]), addressType: 1, eventType: AdvEventType.ADV_IND, data: Uint8Array.from(AD.apple!), rssi: -60 });
  }
  await got;
  t.equal(discovered, 0, "noble's gap emitted no discover");
  // scanning off and on (noble's commands and their completions) still works through noble
  await direct.stop();
  t.equal(controller.scanning().enabled, false);
  await direct.start();
  t.equal(controller.scanning().enabled, true);
});

t.test('LE Extended Advertising Reports (0x0D) are read on the direct path', async (t) => {
  const { controller, list } = await scanners(t, ['direct']);
  const direct = list[0]!;
  const long = new Uint8Array(60);
  // Flags | Service Data 16-bit 0xFCD1 with 53 bytes: more than legacy advertising carries
  long.set([0x02, 0x01, 0x06, 0x38, 0x16, 0xd1, 0xfc]);
  for (let i = 7; i < 60; i++) long[i] = i;
  const got = collect(direct, 2);
  // connectable extended PDU on LE Coded, TX power +4 dBm
  controller.sendRaw(leExtendedAdvertisingReportEvent({ eventProperties: 0x0001, primaryPhy: 3, secondaryPhy: 3, sid: 2, txPower: 4 }, 1, parseAddress('5b:00:00:00:00:01'), long, -77));
  // legacy ADV_NONCONN_IND as an extended report (bit 4), no TX power given
  controller.sendRaw(leExtendedAdvertisingReportEvent({ eventProperties: 0x0010 }, 1, parseAddress('5b:00:00:00:00:02'), Uint8Array.from(AD.eddystone!), -80));
  const [ext, legacy] = await got;
  t.match(ext, { address: '5b:00:00:00:00:01', addressKind: 'resolvable', rssi: -77, connectable: true, txPowerLevel: 4 });
  t.equal(ext!.serviceData[0]!.uuid, 'fcd1');
  t.same(ext!.serviceData[0]!.data, long.slice(7));
  t.match(legacy, { connectable: false, localName: 'WM', rssi: -80 });
  t.notOk('txPowerLevel' in legacy!, 'no TX power when the controller has none');
});

t.test('the parser never throws on damaged events and counts what it cannot read', async (t) => {
  const good = leExtendedAdvertisingReportEvent({ eventProperties: 0x0010 }, 1, parseAddress('5b:00:00:00:00:03'), Uint8Array.from(AD.apple!), -60);
  const reports: AdvertisingReport[] = [];
  const push = (r: AdvertisingReport) => void reports.push(r);
  t.equal(readAdvertisingReports(good, 1, push), 0);
  t.equal(reports.length, 1);
  for (let cut = 0; cut < good.length; cut++) t.doesNotThrow(() => readAdvertisingReports(good.subarray(0, cut), 1, push));
  const badAd = Buffer.from(good);
  badAd[29] = 0x20; // first AD structure claims 32 bytes
  t.equal(readAdvertisingReports(badAd, 1, push), 1, 'a malformed AD structure is counted, not read');
  t.equal(readAdvertisingReports(Uint8Array.from([0x04, 0x0e, 0x04, 0x01, 0x05, 0x14, 0x00]), 1, push), -1, 'not an advertising report');
  t.equal(reports.length, 1);
});
