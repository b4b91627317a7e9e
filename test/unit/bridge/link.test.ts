import t, { type Test } from 'tap';
import { isWaymarkError, type WaymarkError } from '../../../core/errors.js';
import { SerialLink } from '../../../firmware-bridge/link.js';
import { AdvMode, Capability, DEVICE_ERRORS, TapKind, type EventOf } from '../../../firmware-bridge/protocol/commands.js';
import { AdvEventType, parseAddress, type AirPacket } from '../../../sim/air.js';
import { firmwareBinding, SimulatedFirmware, type SimulatedFirmwareOptions } from '../../../sim/firmware.js';
import { MockBinding, type MockPortBinding, type OpenOptions } from '../../../sim/mock-binding.js';

// HELLO request, seq 1, versions 1..1 (test/vectors/serial-frames.json "hello-request"):
// decoded 01 01 01 00 01 02 00 | 01 01 | ca 68
const HELLO_REQUEST = Buffer.from([
  0x00, //                    delimiter
  0x04, 0x01, 0x01, 0x01, //  version 1, request, seq low 01 | 0 (seq high)
  0x03, 0x01, 0x02, //        id 01 (HELLO), length low 02 | 0 (length high)
  0x05, 0x01, 0x01, 0xca, 0x68, // minVersion 1, maxVersion 1, CRC 0x68ca
  0x00, //                    delimiter
]);
// HELLO response, seq 1 ("hello-response"): protocol 1, firmware 1.2.3, capabilities 0x0007,
// max adv data 1650 (72 06), max payload 2048 (00 08).
const HELLO_RESPONSE = Buffer.from('000401020103010a06010102030703720604080ce600', 'hex');

let n = 0;
function setup(t: Test, fwOptions: SimulatedFirmwareOptions = {}, linkOptions: Partial<ConstructorParameters<typeof SerialLink>[0]> = {}) {
  const path = `/dev/ttySIM${n++}`;
  MockBinding.createPort(path, { record: true });
  const firmware = new SimulatedFirmware(fwOptions);
  const binding = firmwareBinding(firmware);
  const link = new SerialLink({ path, binding, heartbeatIntervalMs: 0, ...linkOptions });
  t.teardown(() => link.close());
  return { path, firmware, binding, link };
}

const beacon = (over: Partial<AirPacket> = {}): AirPacket => ({
  time: 0,
  address: parseAddress('d1:e2:f3:a4:b5:c6'),
  addressType: 1,
  eventType: AdvEventType.ADV_NONCONN_IND,
  data: Uint8Array.from(Buffer.from('0201060716aafe0102030405', 'hex')),
  rssi: -67,
  ...over,
});

t.test('raw MockBinding: open writes HELLO byte for byte and accepts the literal reply', async (t) => {
  const path = '/dev/ttyRAW0';
  MockBinding.createPort(path, { record: true });
  let port: MockPortBinding | undefined;
  const binding = { list: () => MockBinding.list(), open: async (o: OpenOptions) => (port = await MockBinding.open(o)) };
  const link = new SerialLink({ path, binding, heartbeatIntervalMs: 0 });
  t.teardown(() => link.close());
  const opening = link.open();
  while (!port?.recording.length) await new Promise((r) => setImmediate(r));
  t.same(port.recording, HELLO_REQUEST);
  port.emitData(Buffer.concat([Buffer.from('garbage at boot'), HELLO_RESPONSE]));
  const caps = await opening;
  t.same(caps, {
    protocolVersion: 1,
    firmwareVersion: '1.2.3',
    extendedAdvertising: true,
    nfc: true,
    activeScan: true,
    codedPhy: false,
    maxAdvDataLength: 1650,
    maxPayloadLength: 2048,
  });
  t.equal(link.stats().parser.resyncs, 1, 'the boot garbage was dropped');
});

t.test('handshake, device info and scanning against the simulated firmware', async (t) => {
  const { link, firmware, binding } = setup(t, { firmwareVersion: [2, 0, 1], board: 'nrf52840-dongle' });
  const caps = await link.open();
  t.equal(caps.firmwareVersion, '2.0.1');
  t.equal(binding.port?.recording.subarray(0, HELLO_REQUEST.length).toString('hex'), HELLO_REQUEST.toString('hex'));
  const info = await link.request('DEVICE_INFO', {});
  t.equal(info.board, 'nrf52840-dongle');

  const reports: EventOf<'ADV_REPORT'>[] = [];
  link.on('advReport', (r) => reports.push(r));
  t.notOk(firmware.hear(beacon()), 'not scanning yet');
  await link.request('SCAN_START', { intervalUnits: 160, windowUnits: 80, active: true, filterDuplicates: true });
  t.same(firmware.scan, { intervalUnits: 160, windowUnits: 80, active: true, filterDuplicates: true });
  t.ok(firmware.hear(beacon()));
  t.notOk(firmware.hear(beacon()), 'duplicate filtered');
  t.ok(firmware.hear(beacon({ data: new Uint8Array(200).fill(7), rssi: -90 })), 'an extended one');
  while (reports.length < 2) await new Promise((r) => setImmediate(r));
  t.same(reports[0], {
    kind: 0,
    eventType: AdvEventType.ADV_NONCONN_IND,
    addressType: 1,
    address: parseAddress('d1:e2:f3:a4:b5:c6'),
    rssi: -67,
    data: beacon().data,
  });
  t.equal(reports[1].kind, 1);
  t.equal(reports[1].data.length, 200);
  await link.request('SCAN_STOP', {});
  t.equal(firmware.scan, undefined);
});

t.test('advertising: legacy limits come back as device errors with codes', async (t) => {
  const { link, firmware } = setup(t, { capabilities: Capability.NFC, maxAdvDataLength: 31 });
  const caps = await link.open();
  t.equal(caps.extendedAdvertising, false);
  await t.rejects(link.request('ADV_START', { intervalUnits: 160 }), {
    code: 'WAYMARK_ERR_DEVICE_ERROR',
    details: { deviceError: 'INVALID_STATE', deviceCode: DEVICE_ERRORS.INVALID_STATE, command: 'ADV_START' },
  });
  const err = await link
    .request('ADV_SET_DATA', { mode: AdvMode.LEGACY, advData: new Uint8Array(32), scanResponse: new Uint8Array(0) })
    .catch((e: WaymarkError) => e);
  t.ok(isWaymarkError(err, 'WAYMARK_ERR_DEVICE_ERROR'));
  t.match(String((err as Error).message), /ADV_SET_DATA: DATA_TOO_LONG \(0x0006\)/);
  await t.rejects(link.request('ADV_SET_DATA', { mode: AdvMode.EXTENDED, advData: new Uint8Array(40), scanResponse: new Uint8Array(0) }), {
    code: 'WAYMARK_ERR_DEVICE_ERROR',
    details: { deviceError: 'NOT_SUPPORTED' },
  });
  await link.request('ADV_SET_DATA', { mode: AdvMode.LEGACY, advData: new Uint8Array(31).fill(1), scanResponse: new Uint8Array(31).fill(2) });
  await link.request('ADV_START', { intervalUnits: 160 });
  t.same(firmware.advertising, { intervalUnits: 160 });
  await link.request('ADV_STOP', {});
  t.equal(firmware.advertising, undefined);
  t.equal(link.stats().deviceErrors, 3);
});

t.test('extended advertising data up to the controller maximum', async (t) => {
  const { link, firmware } = setup(t);
  const caps = await link.open();
  const advData = Uint8Array.from({ length: caps.maxAdvDataLength }, (_, i) => i & 0xff);
  await link.request('ADV_SET_DATA', { mode: AdvMode.EXTENDED, advData, scanResponse: new Uint8Array(0) });
  t.same(firmware.advData?.advData, advData);
  await t.rejects(
    link.request('ADV_SET_DATA', { mode: AdvMode.EXTENDED, advData: new Uint8Array(2100), scanResponse: new Uint8Array(0) }),
    RangeError,
    'a payload over the 2048-byte frame limit fails before anything is sent',
  );
  t.equal(link.stats().framesOut, 2);
});

t.test('NFC taps arrive as typed events', async (t) => {
  const { link, firmware } = setup(t);
  await link.open();
  const taps: EventOf<'NFC_TAP'>[] = [];
  link.on('nfcTap', (tap) => taps.push(tap));
  t.notOk(firmware.tap(Uint8Array.of(4, 1, 2, 3, 4, 5, 6)), 'not polling');
  await link.request('NFC_POLL', { enabled: true, aid: Uint8Array.of(0xf0, 0x57, 0x61, 0x79) });
  firmware.tap(Uint8Array.of(4, 1, 2, 3, 4, 5, 6));
  firmware.tap(Uint8Array.of(8, 1, 2, 3), Uint8Array.of(0xaa, 0x90, 0x00));
  while (taps.length < 2) await new Promise((r) => setImmediate(r));
  t.same(taps[0], { kind: TapKind.TAG_UID, uid: Uint8Array.of(4, 1, 2, 3, 4, 5, 6), response: new Uint8Array(0) });
  t.same(taps[1], { kind: TapKind.ISO_DEP, uid: Uint8Array.of(8, 1, 2, 3), response: Uint8Array.of(0xaa, 0x90, 0x00) });
});

t.test('RESET: the reply, then a BOOT event; DEVICE_ERROR events are emitted', async (t) => {
  const { link, firmware } = setup(t);
  await link.open();
  const boot = new Promise<EventOf<'BOOT'>>((resolve) => link.on('boot', resolve));
  await link.request('RESET', {});
  t.same(await boot, { resetReason: 1, protocolVersion: 1 });
  await t.rejects(link.request('SCAN_STOP', {}), { code: 'WAYMARK_ERR_DEVICE_ERROR', details: { deviceError: 'NOT_READY' } }, 'a rebooted board wants HELLO again');
  const deviceError = new Promise<WaymarkError>((resolve) => link.on('deviceError', resolve));
  firmware.fault('RADIO_FAILURE', 'scan aborted');
  t.match((await deviceError).details, { deviceError: 'RADIO_FAILURE' });
});

t.test('a request nobody answers times out with a readable error', async (t) => {
  const { link, firmware } = setup(t, {}, { timeouts: { DEVICE_INFO: 40 } });
  await link.open();
  firmware.silent = true;
  const err = await link.request('DEVICE_INFO', {}).catch((e: unknown) => e);
  t.ok(isWaymarkError(err, 'WAYMARK_ERR_SERIAL_TIMEOUT'));
  t.match((err as Error).message, /DEVICE_INFO \(seq 2\) got no reply within 40 ms/);
  firmware.silent = false;
  t.equal((await link.request('PING', {})).uptimeMs >= 0, true, 'the link still works afterwards');
  t.equal(link.stats().timeouts, 1);
});

t.test('missed heartbeats escalate to fatalError DISCONNECTED', async (t) => {
  const { link, firmware } = setup(t, {}, { heartbeatIntervalMs: 20, heartbeatMisses: 2, timeouts: { PING: 15 } });
  await link.open();
  // wait for two heartbeats however slow the machine is (the verdict does not depend on timing)
  for (let waited = 0; firmware.received.filter((c) => c.name === 'PING').length < 2 && waited < 10_000; waited += 10) {
    await new Promise((r) => setTimeout(r, 10));
  }
  t.ok(firmware.received.filter((c) => c.name === 'PING').length >= 2, 'heartbeats were sent');
  t.ok(link.isOpen, 'answered heartbeats keep the link up');
  const fatal = new Promise<WaymarkError>((resolve) => link.on('fatalError', resolve));
  firmware.silent = true;
  const err = await fatal;
  t.equal(err.code, 'WAYMARK_ERR_SERIAL_DISCONNECTED');
  t.match(err.message, /2 heartbeats unanswered/);
  t.notOk(link.isOpen);
  await t.rejects(link.request('PING', {}), { code: 'WAYMARK_ERR_SERIAL_DISCONNECTED' });
});

t.test('unplugging the board fails pending requests and raises fatalError', async (t) => {
  const { link, firmware, binding } = setup(t);
  await link.open();
  firmware.silent = true;
  const pending = link.request('DEVICE_INFO', {});
  const fatal = new Promise<WaymarkError>((resolve) => link.on('fatalError', resolve));
  await new Promise((r) => setImmediate(r));
  binding.unplug();
  const err = await fatal;
  t.equal(err.code, 'WAYMARK_ERR_SERIAL_DISCONNECTED');
  await t.rejects(pending, { code: 'WAYMARK_ERR_SERIAL_DISCONNECTED' });
});

t.test('handshake failures: wrong version, silence, no port', async (t) => {
  const wrong = setup(t, { minVersion: 2, maxVersion: 3 });
  await t.rejects(wrong.link.open(), { code: 'WAYMARK_ERR_SERIAL_HANDSHAKE', message: /UNSUPPORTED_VERSION/ });
  t.equal(wrong.firmware.received.length, 1, 'a refusal is not retried');

  const silent = setup(t, {}, { handshakeAttempts: 2, timeouts: { HELLO: 20 } });
  silent.firmware.silent = true;
  await t.rejects(silent.link.open(), { code: 'WAYMARK_ERR_SERIAL_HANDSHAKE', message: /HELLO \(seq 2\) got no reply within 20 ms/ });
  t.equal(silent.firmware.received.length, 2, 'silence is retried');

  const missing = new SerialLink({ path: '/dev/ttyNOPE', binding: MockBinding, heartbeatIntervalMs: 0 });
  await t.rejects(missing.open(), { code: 'WAYMARK_ERR_RADIO_UNAVAILABLE' });
});

t.test('garbage and bad frames from the board are counted, not fatal', async (t) => {
  const { link, binding } = setup(t);
  await link.open();
  const frameErrors: WaymarkError[] = [];
  link.on('frameError', (e) => frameErrors.push(e));
  const bad = Buffer.from(HELLO_RESPONSE);
  bad[bad.length - 2] ^= 0xff; // CRC
  binding.port!.emitData(Buffer.concat([Buffer.from([1, 2, 3, 0]), bad, Buffer.alloc(3000, 0x55), Buffer.from([0])]));
  t.ok((await link.request('PING', {})).uptimeMs >= 0);
  const s = link.stats().parser;
  t.equal(s.crcErrors, 1);
  t.equal(s.oversized, 1);
  t.equal(frameErrors.length, 3);
  t.equal(link.stats().unmatched, 0);
});

t.teardown(() => MockBinding.reset());
