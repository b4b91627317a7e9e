/**
 * The serial radio (Scanner, Advertiser, taps) on the real SerialLink and the simulated firmware
 * behind @serialport/binding-mock: report checks, state restored after an unplug and after a
 * board reboot, taps delivered once, counters.
 */
import t, { type Test } from 'tap';
import { ManualClock } from '../../../core/clock.js';
import { isWaymarkError } from '../../../core/errors.js';
import type { AdvertisingReport, RadioState } from '../../../core/ports.js';
import { KioskBeacon } from '../../../beacon/kiosk-beacon.js';
import { createSerialRadio, type SerialRadio, type SerialRadioOptions, type SerialTap } from '../../../firmware-bridge/radio/serial-radio.js';
import { AdvMode, Capability, decodeRequest, encodeEvent, EVENTS, TapKind } from '../../../firmware-bridge/protocol/commands.js';
import { encodeFrame, FrameType } from '../../../firmware-bridge/protocol/frame.js';
import { AdvEventType, parseAddress, type AirPacket } from '../../../sim/air.js';
import { firmwareBinding, FULL_SIM_CAPABILITIES, SimulatedFirmware, type SimulatedFirmwareOptions } from '../../../sim/firmware.js';
import { MockBinding } from '../../../sim/mock-binding.js';

let n = 0;
async function setup(t: Test, fw: SimulatedFirmwareOptions = {}, opts: Partial<SerialRadioOptions> = {}) {
  const path = `/dev/ttyRADIO${n++}`;
  MockBinding.createPort(path, { record: true });
  const firmware = new SimulatedFirmware({ capabilities: FULL_SIM_CAPABILITIES, ...fw });
  const binding = firmwareBinding(firmware);
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 12));
  const radio = await createSerialRadio({
    path, binding, clock, reconnect: { initialDelayMs: 5, maxDelayMs: 20 }, link: { heartbeatIntervalMs: 0 }, ...opts,
  });
  t.teardown(() => radio.close());
  const reports: AdvertisingReport[] = [];
  const states: RadioState[] = [];
  const taps: SerialTap[] = [];
  radio.scanner.on('report', (r) => reports.push(r));
  radio.scanner.on('state', (s) => states.push(s));
  radio.onTap((tap) => taps.push(tap));
  return { path, firmware, binding, clock, radio, reports, states, taps };
}

async function until(what: string, predicate: () => boolean, limitMs = 5000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * Pull the cable and wait until the radio noticed. firmwareBinding can only fail a read that is
 * pending, and right after a reply the stream may not have asked for the next one yet: retry.
 */
async function unplug(binding: ReturnType<typeof firmwareBinding>, radio: SerialRadio): Promise<void> {
  for (let i = 0; i < 100 && radio.connected; i++) {
    binding.unplug();
    await new Promise((r) => setTimeout(r, 5));
  }
  if (radio.connected) throw new Error('unplug did not take');
}

const packet = (over: Partial<AirPacket> = {}): AirPacket => ({
  time: 0,
  address: parseAddress('5d:e2:f3:a4:b5:c6'),
  addressType: 1,
  eventType: AdvEventType.ADV_IND,
  // Flags; Service Data UUID16 0xfcd1 + 3 bytes; Complete Local Name "wm"
  data: Uint8Array.from([0x02, 0x01, 0x06, 0x06, 0x16, 0xd1, 0xfc, 0x01, 0x02, 0x03, 0x03, 0x09, 0x77, 0x6d]),
  rssi: -61,
  ...over,
});

const commandsAfter = (fw: SimulatedFirmware, from: number) => fw.received.slice(from).map((c) => c.name);

t.test('reports are parsed like noble does and checked like the HCI guard', async (t) => {
  const { firmware, radio, reports, clock } = await setup(t);
  t.equal(radio.scanner.name, radio.name);
  t.match(radio.name, /^serial\(\/dev\/ttyRADIO\d+\)$/);
  t.notOk(firmware.hear(packet()), 'not scanning before start');
  await radio.scanner.start();
  t.same(firmware.scan, { intervalUnits: 160, windowUnits: 160, active: true, filterDuplicates: false });
  firmware.hear(packet());
  firmware.hear(packet({ rssi: 60 })); // outside -127..+20
  firmware.hear(packet({ data: Uint8Array.of(0x02, 0x01, 0x06, 0x09, 0xff, 0x01) })); // AD claims 9 bytes, 1 left
  firmware.hear(packet({ address: parseAddress('00:11:22:33:44:55'), addressType: 0, eventType: AdvEventType.ADV_NONCONN_IND, rssi: -90 }));
  await until('two reports', () => reports.length === 2 && radio.stats().dropped.adMalformed === 1);
  t.same(reports[0], {
    address: '5d:e2:f3:a4:b5:c6',
    addressType: 'random',
    addressKind: 'resolvable',
    rssi: -61,
    time: clock.now(),
    connectable: true,
    serviceData: [{ uuid: 'fcd1', data: Uint8Array.of(1, 2, 3) }],
    localName: 'wm',
  });
  t.match(reports[1], { address: '00:11:22:33:44:55', addressType: 'public', addressKind: 'public', connectable: false, rssi: -90 });
  t.same(radio.stats().dropped, { adMalformed: 1, rssiOutOfRange: 1, reportMalformed: 0 });
  t.same(radio.scanner.stats(), { reports: 2, dropped: 2, restarts: 0, pruned: 0 });

  await radio.scanner.stop();
  t.equal(firmware.scan, undefined, 'SCAN_STOP reached the board');
  t.notOk(firmware.hear(packet()));
});

t.test('advertiser: legacy data, the single-PDU beacon frame with extended advertising, limits', async (t) => {
  const { firmware, radio } = await setup(t);
  t.equal(radio.advertiser.extendedAdvertising, true);
  await radio.advertiser.setData(Uint8Array.of(2, 1, 6), Uint8Array.of(3, 9, 0x61, 0x62));
  t.same(firmware.advData, { mode: AdvMode.LEGACY, advData: Uint8Array.of(2, 1, 6), scanResponse: Uint8Array.of(3, 9, 0x61, 0x62) });
  await radio.advertiser.start(100);
  t.same(firmware.advertising, { intervalUnits: 160 });

  const beacon = new KioskBeacon({ secretKey: new Uint8Array(32).fill(7), geohash: 'u4pruydqq' });
  const epoch = beacon.at(Date.UTC(2026, 2, 1, 12));
  await radio.advertiser.setBeacon(epoch);
  t.equal(firmware.advData?.mode, AdvMode.EXTENDED);
  t.equal(firmware.advData?.advData.length, 94, 'Flags + one Service Data AD with the whole 85-byte frame');
  t.same(firmware.advData?.advData, epoch.extended);
  t.same(firmware.advertising, { intervalUnits: 160 }, 'still advertising after the data changed');
  await t.rejects(radio.advertiser.start(5), RangeError);
  await radio.advertiser.stop();
  t.equal(firmware.advertising, undefined);

  const legacyOnly = await setup(t, { capabilities: Capability.NFC | Capability.TAP_ACK, maxAdvDataLength: 31 });
  t.equal(legacyOnly.radio.advertiser.extendedAdvertising, false);
  await t.rejects(legacyOnly.radio.advertiser.setData(epoch.extended), RangeError, 'no extended advertising: 94 bytes do not fit');
  await legacyOnly.radio.advertiser.setBeacon(epoch);
  t.same(legacyOnly.firmware.advData, { mode: AdvMode.LEGACY, advData: epoch.pages[0]!.advertisement, scanResponse: epoch.pages[0]!.scanResponse });
});

t.test('unplug and replug: state goes poweredOff, then scanning and advertising are restored', async (t) => {
  const { firmware, binding, radio, reports, states } = await setup(t);
  await radio.scanner.start();
  await radio.advertiser.setData(Uint8Array.of(2, 1, 6));
  await radio.advertiser.start(250);
  const before = firmware.received.length;

  await unplug(binding, radio);
  await until('poweredOff', () => states.includes('poweredOff'));
  t.equal(radio.connected, false);
  await until('reconnect', () => radio.connected);
  t.equal(radio.stats().reconnects, 1);
  t.same(commandsAfter(firmware, before), ['HELLO', 'SCAN_START', 'ADV_SET_DATA', 'ADV_START', 'NFC_POLL', 'NFC_TAP_ACK'], 'handshake, then everything restored in order');
  t.same(states.slice(-2), ['poweredOff', 'poweredOn']);
  t.same(firmware.advertising, { intervalUnits: 400 });
  t.equal(radio.scanner.stats().restarts, 1);

  firmware.hear(packet());
  await until('a report after the replug', () => reports.length === 1);

  // a command while unplugged is remembered, not lost
  await unplug(binding, radio);
  await radio.scanner.stop();
  await until('second reconnect', () => radio.connected);
  t.equal(firmware.scan, undefined, 'the stop given while unplugged holds after the replug');
  t.equal(radio.stats().reconnects, 2);
});

t.test('a board that reboots under a live link is handshaken and restored again', async (t) => {
  const { firmware, radio, reports } = await setup(t);
  await radio.scanner.start();
  const before = firmware.received.length;
  firmware.boot(2); // watchdog
  await until('restored', () => firmware.scan !== undefined && radio.connected && firmware.received.length >= before + 5);
  t.same(commandsAfter(firmware, before), ['HELLO', 'SCAN_START', 'ADV_STOP', 'NFC_POLL', 'NFC_TAP_ACK']);
  t.equal(radio.stats().reboots, 1);
  t.equal(radio.stats().reconnects, 0, 'the port stayed open');
  firmware.hear(packet());
  await until('report', () => reports.length === 1);
});

t.test('taps: a tap while unplugged arrives after the replug, once; a repeat is dropped', async (t) => {
  const { firmware, binding, radio, taps } = await setup(t);
  t.ok(firmware.tap(Uint8Array.of(4, 1, 2, 3, 4, 5, 6)));
  await until('first tap', () => taps.length === 1);
  t.match(taps[0], { kind: 'uid', uid: Uint8Array.of(4, 1, 2, 3, 4, 5, 6), bootId: firmware.bootId, tapSeq: 1 });
  await until('acknowledged', () => firmware.unacknowledgedTaps === 0);

  await unplug(binding, radio);
  firmware.tap(Uint8Array.of(8, 9, 9, 9), Uint8Array.of(0xaa, 0x90, 0x00)); // the bytes go nowhere
  firmware.tap(Uint8Array.of(4, 7, 7, 7, 7, 7, 7));
  t.equal(firmware.unacknowledgedTaps, 2);
  await until('the missed taps', () => taps.length === 3);
  t.same(taps.map((x) => x.tapSeq), [1, 2, 3]);
  t.same(taps[1]!.kind, 'iso-dep');
  t.same(taps[1]!.response, Uint8Array.of(0xaa, 0x90, 0x00));
  await until('acknowledged', () => firmware.unacknowledgedTaps === 0);

  // the firmware sends tap 3 again (its acknowledgement got lost): same bootId and tapSeq
  const repeat = encodeEvent('NFC_TAP', { kind: TapKind.TAG_UID, uid: Uint8Array.of(4, 7, 7, 7, 7, 7, 7), response: new Uint8Array(0), bootId: firmware.bootId, tapSeq: 3 });
  binding.port!.emitData(Buffer.from(encodeFrame({ version: 1, type: FrameType.EVENT, seq: 99, id: EVENTS.NFC_TAP.id, payload: repeat })));
  await until('the repeat counted', () => radio.stats().taps.duplicates === 1);
  t.equal(taps.length, 3, 'not delivered twice');
  t.match(radio.stats().taps, { delivered: 3, duplicates: 1, lost: 0, ackSupported: true });
  const acks = firmware.received.filter((c) => c.name === 'NFC_TAP_ACK').map((c) => decodeRequest('NFC_TAP_ACK', c.payload));
  t.same(acks.at(-1), { bootId: firmware.bootId, tapSeq: 3, resend: false }, 'the repeat was acknowledged again');
});

t.test('taps from firmware without tap acknowledgement are delivered as they come', async (t) => {
  const { firmware, radio, taps } = await setup(t, { capabilities: Capability.NFC | Capability.EXTENDED_ADVERTISING });
  firmware.tap(Uint8Array.of(1, 2, 3, 4));
  await until('tap', () => taps.length === 1);
  t.same(taps[0], { kind: 'uid', uid: Uint8Array.of(1, 2, 3, 4), response: new Uint8Array(0), time: Date.UTC(2026, 2, 1, 12) });
  t.equal(radio.stats().taps.ackSupported, false);
  t.equal(firmware.received.filter((c) => c.name === 'NFC_TAP_ACK').length, 1, 'asked once, refused, never again');
});

t.test('counters survive reconnects and are offered as metrics', async (t) => {
  const { binding, radio } = await setup(t);
  // a PING response frame with its CRC broken, then line noise
  const bad = Buffer.from(encodeFrame({ version: 1, type: FrameType.RESPONSE, seq: 7, id: 0x02, payload: Uint8Array.of(1, 0, 0, 0) }));
  bad[bad.length - 2] ^= 0x40;
  binding.port!.emitData(Buffer.concat([bad, Buffer.from([0x00, 0x41, 0x42, 0x43])]));
  await until('counted', () => radio.stats().crcErrors === 1);
  await unplug(binding, radio);
  await until('reconnect', () => radio.stats().reconnects === 1 && radio.connected);
  const s = radio.stats();
  t.equal(s.crcErrors, 1, 'the old link\'s CRC error is still counted');
  t.ok(s.resyncs >= 1);
  const metrics = Object.fromEntries(radio.metricSources().map((m) => [m.name, m.read()]));
  t.match(metrics, {
    waymark_serial_connected: 1,
    waymark_serial_reconnects_total: 1,
    waymark_serial_crc_errors_total: 1,
    waymark_serial_resyncs_total: s.resyncs,
    waymark_serial_timeouts_total: 0,
  });
  for (const m of radio.metricSources()) t.match(m.name, /^waymark_serial_[a-z_]+$/);
});

t.test('no device: createSerialRadio rejects with RADIO_UNAVAILABLE; close is final', async (t) => {
  const firmware = new SimulatedFirmware();
  const err = await createSerialRadio({ path: '/dev/ttyNOPE', binding: firmwareBinding(firmware), clock: new ManualClock() }).catch((e: unknown) => e);
  t.ok(isWaymarkError(err, 'WAYMARK_ERR_RADIO_UNAVAILABLE'), String(err));

  const { radio, firmware: fw } = await setup(t);
  await radio.close();
  await radio.close();
  t.equal(radio.connected, false);
  await t.rejects(radio.scanner.start(), { code: 'WAYMARK_ERR_RADIO_UNAVAILABLE' });
  const received = fw.received.length;
  await new Promise((r) => setTimeout(r, 30));
  t.equal(fw.received.length, received, 'no reconnect after close');
});
