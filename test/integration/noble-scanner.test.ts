import t, { type Test } from 'tap';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ManualClock } from '../../core/clock.js';
import { isWaymarkError } from '../../core/errors.js';
import type { AdvertisingReport } from '../../core/ports.js';
import { AdvEventType, parseAddress, type AirPacket } from '../../sim/air.js';
import { defaultHciHub } from '../../sim/hci-hub.js';
import { leAdvertisingReportEvent } from '../../kiosk/radio/hci/writer.js';
import { VirtualHciSocket } from '../../sim/hci-socket.js';
import { createNobleScanner, type NobleScanner } from '../../kiosk/radio/noble-scanner.js';
import { captureConsole } from '../helpers/console-capture.js';
import { nobleRetainedEntries } from '../../kiosk/radio/ble-compat.js';

const clock = new ManualClock(Date.UTC(2026, 4, 1, 12));
let nextDevId = 10;

/** A controller on a fresh device id and a started scanner on it; both go away after the test. */
async function scannerOnVirtualController(t: Test) {
  const devId = nextDevId++;
  const controller = defaultHciHub.add(devId);
  const scanner = createNobleScanner({ socket: VirtualHciSocket, deviceId: devId, clock, restartDelayMs: 10 });
  t.teardown(async () => {
    await scanner.close();
    defaultHciHub.remove(devId);
  });
  await scanner.start();
  return { devId, controller, scanner };
}

function nextReports(scanner: NobleScanner, n: number, timeoutMs = 5000): Promise<AdvertisingReport[]> {
  const got: AdvertisingReport[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${n} reports`)), timeoutMs);
    const onReport = (r: AdvertisingReport) => {
      got.push(r);
      if (got.length === n) {
        clearTimeout(timer);
        scanner.off('report', onReport);
        resolve(got);
      }
    };
    scanner.on('report', onReport);
  });
}

const until = async (cond: () => boolean, timeoutMs = 5000) => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** Flags, 16-bit Service Data for 0xFEAA with 3 bytes, Complete Local Name "WM". */
const AD = Uint8Array.from([0x02, 0x01, 0x06, 0x06, 0x16, 0xaa, 0xfe, 0x01, 0x02, 0x03, 0x03, 0x09, 0x57, 0x4d]);

function packet(address: string, overrides: Partial<AirPacket> = {}): AirPacket {
  return { time: clock.now(), address: parseAddress(address), addressType: 1, eventType: AdvEventType.ADV_NONCONN_IND, data: AD, rssi: -58, ...overrides };
}

t.test('a heard packet comes out of noble as an AdvertisingReport', async (t) => {
  const { controller, scanner } = await scannerOnVirtualController(t);
  t.match(scanner.name, /^noble\/hci-socket\(virtual hci\d+\)$/);
  t.match(controller.scanning(), { enabled: true, filterDuplicates: false });
  const reports = nextReports(scanner, 4);
  controller.hearAll([
    packet('C1:02:03:04:05:06'), // static random (top bits 11)
    packet('4a:02:03:04:05:06', { eventType: AdvEventType.ADV_IND, rssi: -91 }), // resolvable (01)
    packet('0a:02:03:04:05:06'), // non-resolvable (00)
    packet('00:1a:7d:da:71:13', { addressType: 0 }), // public
  ]);
  const [a, b, c, d] = await reports;
  t.same(a, {
    address: 'c1:02:03:04:05:06',
    addressType: 'random',
    addressKind: 'static',
    rssi: -58,
    time: clock.now(),
    connectable: false,
    serviceData: [{ uuid: 'feaa', data: Uint8Array.from([1, 2, 3]) }],
    localName: 'WM',
  });
  t.ok(a.serviceData[0].data instanceof Uint8Array);
  t.match(b, { addressKind: 'resolvable', rssi: -91, connectable: true });
  t.match(c, { addressKind: 'non-resolvable' });
  t.match(d, { address: '00:1a:7d:da:71:13', addressType: 'public', addressKind: 'public' });
  t.equal(scanner.stats().reports, 4);
});

t.test('scanning restarts when another host disables it', async (t) => {
  const { devId, controller, scanner } = await scannerOnVirtualController(t);
  const other = new VirtualHciSocket(); // e.g. hcitool or bluetoothd on the same adapter
  other.bindRaw(devId);
  other.start();
  t.teardown(() => other.close());
  other.write(Buffer.from([0x01, 0x0c, 0x20, 0x02, 0x00, 0x00])); // LE Set Scan Enable: off
  t.equal(controller.scanning().enabled, false);
  await until(() => controller.scanning().enabled);
  t.equal(scanner.stats().restarts, 1);
  const reports = nextReports(scanner, 1);
  controller.hear(packet('c1:00:00:00:00:01'));
  t.equal((await reports)[0].address, 'c1:00:00:00:00:01');
});

t.test('scanning restarts when noble is told to stop behind the scanner', async (t) => {
  const { controller, scanner } = await scannerOnVirtualController(t);
  scanner.noble.stopScanning();
  await until(() => scanner.stats().restarts === 1 && controller.scanning().enabled);
  t.pass('restarted');
});

t.test('stop() stops scanning without a restart', async (t) => {
  const { controller, scanner } = await scannerOnVirtualController(t);
  // a restart during start-up (noble briefly disables scanning to set parameters) is not this test's business
  const before = scanner.stats().restarts;
  await scanner.stop();
  await new Promise((r) => setTimeout(r, 50));
  t.equal(controller.scanning().enabled, false);
  t.equal(scanner.stats().restarts, before, 'no restart after stop()');
  await scanner.start();
  t.equal(controller.scanning().enabled, true);
});

t.test("noble's per-address maps stay empty over 10,000 distinct addresses", async (t) => {
  const { controller, scanner } = await scannerOnVirtualController(t);
  const N = 10_000;
  let seen = 0;
  scanner.on('report', () => seen++);
  for (let i = 0; i < N; i += 500) {
    const batch: AirPacket[] = [];
    for (let j = i; j < i + 500; j++) {
      batch.push(packet('40:00:00:00:00:00', { address: Uint8Array.from([0x40 | (j >> 16), (j >> 8) & 0xff, j & 0xff, 0x11, 0x22, 0x33]) }));
    }
    controller.hearAll(batch);
    await new Promise((r) => setImmediate(r));
  }
  await until(() => seen === N);
  t.equal(scanner.retainedAddresses(), 0);
  t.equal(scanner.stats().pruned, N);
  t.same(nobleRetainedEntries(scanner.noble), {
    peripherals: 0, services: 0, characteristics: 0, descriptors: 0, discoveredUuids: 0, addresses: 0, discoveries: 0,
  });
});

t.test("HCI events of another host's connections are counted as foreign, not errors, and noble prints nothing", async (t) => {
  const devId = nextDevId++;
  const controller = defaultHciHub.add(devId);
  const logged: { level: number; msg: string; warning?: string }[] = [];
  const logger = pino({ level: 'warn' }, new Writable({
    write(chunk, _enc, done) {
      logged.push(JSON.parse(String(chunk)));
      done();
    },
  }));
  const scanner = createNobleScanner({ socket: VirtualHciSocket, deviceId: devId, clock, logger });
  const errors: Error[] = [];
  scanner.on('error', (err) => errors.push(err));
  const printed = captureConsole(t);
  t.teardown(async () => {
    await scanner.close();
    defaultHciHub.remove(devId);
  });
  await scanner.start();

  // what bleno's GATT link on the same adapter puts on every raw socket: its HCI Read RSSI
  // answer (Command Complete 0x1405, handle 0x0040, -60 dBm) and its Disconnection Complete
  controller.sendRaw(Uint8Array.from([0x04, 0x0e, 0x07, 0x01, 0x05, 0x14, 0x00, 0x40, 0x00, 0xc4]));
  controller.sendRaw(Uint8Array.from([0x04, 0x05, 0x04, 0x00, 0x40, 0x00, 0x13]));
  await until(() => scanner.stats().foreignEvents === 2);

  // a genuine one: noble asked about a peripheral it does not hold (bindings.js console.warns it)
  (scanner.noble as unknown as { discoverServices(uuid: string, uuids: string[]): void }).discoverServices('c10203040506', []);
  await until(() => logged.length === 1);
  t.match(scanner.stats(), { foreignEvents: 2, warnings: 1 });
  t.match(logged[0], { level: 40, msg: 'noble warning', warning: 'unknown peripheral c10203040506' });
  t.notOk('err' in logged[0], 'no error object, so no stack trace');
  t.same(errors, [], 'no radio error');
  t.same(printed, [], 'nothing of noble\'s reached the console');
});

t.test('malformed events, bad AD and absurd RSSI are counted and dropped; good ones still parse', async (t) => {
  const { controller, scanner } = await scannerOnVirtualController(t);
  const addr = parseAddress('c1:02:03:04:05:06');
  const good = leAdvertisingReportEvent(0x03, 1, addr, AD, -60);
  const truncated = good.subarray(0, good.length - 4);
  const lyingLength = Buffer.from(good);
  lyingLength[13] = 30; // data length past the end of the event
  const badAd = leAdvertisingReportEvent(0x03, 1, addr, Uint8Array.from([0x09, 0x09, 0x41]), -60);
  const zeroAd = leAdvertisingReportEvent(0x03, 1, addr, Uint8Array.from([0x00, 0x09, 0x41]), -60);
  const rssiUnavailable = leAdvertisingReportEvent(0x03, 1, addr, AD, 127);
  const rssiTooHigh = leAdvertisingReportEvent(0x03, 1, addr, AD, 60);
  const shortComplete = Uint8Array.from([0x04, 0x0e, 0x04, 0x01, 0x09, 0x10, 0x00]); // Read BD_ADDR without the address
  const reports = nextReports(scanner, 1);
  for (const bad of [truncated, lyingLength, badAd, zeroAd, rssiUnavailable, rssiTooHigh, shortComplete]) {
    controller.sendRaw(bad);
  }
  controller.sendRaw(good);
  const [r] = await reports;
  t.equal(r.rssi, -60);
  t.equal(scanner.stats().dropped, 7);
  t.match(scanner.guardCounters(), { hciMalformed: 3, adMalformed: 2, rssiOutOfRange: 2 });
});

t.test('a device id with no controller is WAYMARK_ERR_RADIO_UNAVAILABLE', async (t) => {
  const exitBefore = process.listenerCount('exit');
  try {
    createNobleScanner({ socket: VirtualHciSocket, deviceId: 999, clock });
    t.fail('should throw');
  } catch (err) {
    t.ok(isWaymarkError(err, 'WAYMARK_ERR_RADIO_UNAVAILABLE'));
    t.match((err as Error).message, /ENODEV/);
  }
  t.equal(process.listenerCount('exit'), exitBefore, 'no exit handler left behind');
});

t.test('the native socket without Bluetooth is WAYMARK_ERR_RADIO_UNAVAILABLE', async (t) => {
  let scanner: NobleScanner | undefined;
  try {
    scanner = createNobleScanner({ socket: 'native', clock });
  } catch (err) {
    t.ok(isWaymarkError(err, 'WAYMARK_ERR_RADIO_UNAVAILABLE'), String(err));
    return;
  }
  t.comment(`this machine has a Bluetooth adapter: ${scanner.name}`);
  await scanner.close();
});

t.test('close() detaches from the controller and removes the process handlers', async (t) => {
  const devId = nextDevId++;
  const controller = defaultHciHub.add(devId);
  t.teardown(() => void defaultHciHub.remove(devId));
  const exitBefore = process.listenerCount('exit');
  const scanner = createNobleScanner({ socket: VirtualHciSocket, deviceId: devId, clock });
  await scanner.start();
  t.equal(controller.hostCount, 1);
  await scanner.close();
  t.equal(controller.hostCount, 0);
  t.equal(controller.scanning().enabled, false, 'scanning was switched off');
  t.equal(process.listenerCount('exit'), exitBefore);
});
