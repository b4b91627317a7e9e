/**
 * Writes test/vectors/serial-frames.json: golden serial-link frames (valid and invalid) for the
 * encoder and decoder tests and for firmware authors. Deterministic: run it again, get the same file.
 *   node --import tsx test/vectors/generate-serial-vectors.ts
 */
import { writeFileSync } from 'node:fs';
import {
  AdvMode,
  Capability,
  COMMANDS,
  DEVICE_ERRORS,
  encodeDeviceError,
  encodeEvent,
  encodeRequest,
  encodeResponse,
  EVENTS,
  ReportKind,
  ResetReason,
  TapKind,
  type CommandName,
  type EventName,
} from '../../firmware-bridge/protocol/commands.js';
import { cobsEncode, crc16, encodeFrame, FrameType, packFrame, PROTOCOL_VERSION, type Frame } from '../../firmware-bridge/protocol/frame.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

/** Field values as JSON: byte strings as `{ "hex": "..." }`. */
function jsonFields(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v instanceof Uint8Array ? { hex: hex(v) } : v]));
}

interface ValidVector {
  name: string;
  description: string;
  type: 'request' | 'response' | 'event' | 'error';
  /** Command or event name from firmware-bridge/protocol/commands.ts. */
  message: string;
  seq: number;
  fields: Record<string, unknown>;
  payload: string;
  /** Header + payload + CRC, before COBS. */
  decoded: string;
  crc: string;
  /** What goes on the wire: 00, COBS(decoded), 00. */
  wire: string;
}

const valid: ValidVector[] = [];

function add(name: string, description: string, type: ValidVector['type'], message: string, seq: number, fields: Record<string, unknown>, payload: Uint8Array): void {
  const frameType = { request: FrameType.REQUEST, response: FrameType.RESPONSE, event: FrameType.EVENT, error: FrameType.ERROR }[type];
  const id = type === 'event' ? EVENTS[message as EventName].id : COMMANDS[message as CommandName].id;
  const frame: Frame = { version: PROTOCOL_VERSION, type: frameType, seq, id, payload };
  const decoded = packFrame(frame);
  valid.push({
    name,
    description,
    type,
    message,
    seq,
    fields: jsonFields(fields),
    payload: hex(payload),
    decoded: hex(decoded),
    crc: hex(decoded.subarray(decoded.length - 2)),
    wire: hex(encodeFrame(frame)),
  });
}

function req<N extends CommandName>(name: string, description: string, cmd: N, seq: number, fields: Parameters<typeof encodeRequest<N>>[1]): void {
  add(name, description, 'request', cmd, seq, fields as Record<string, unknown>, encodeRequest(cmd, fields));
}
function res<N extends CommandName>(name: string, description: string, cmd: N, seq: number, fields: Parameters<typeof encodeResponse<N>>[1]): void {
  add(name, description, 'response', cmd, seq, fields as Record<string, unknown>, encodeResponse(cmd, fields));
}
function evt<N extends EventName>(name: string, description: string, ev: N, seq: number, fields: Parameters<typeof encodeEvent<N>>[1]): void {
  add(name, description, 'event', ev, seq, fields as Record<string, unknown>, encodeEvent(ev, fields));
}

req('hello-request', 'Host opens the link: it speaks versions 1..1.', 'HELLO', 1, { minVersion: 1, maxVersion: 1 });
res('hello-response', 'nRF52840 firmware 1.2.3: extended advertising, NFC, active scan; 1650-byte adv data.', 'HELLO', 1, {
  protocolVersion: 1,
  firmwareMajor: 1,
  firmwareMinor: 2,
  firmwarePatch: 3,
  capabilities: Capability.EXTENDED_ADVERTISING | Capability.NFC | Capability.ACTIVE_SCAN,
  maxAdvDataLength: 1650,
  maxPayloadLength: 2048,
});
req('ping-request', 'Heartbeat.', 'PING', 2, {});
res('ping-response', 'Heartbeat answer: up 65.536 s.', 'PING', 2, { uptimeMs: 65536 });
req('device-info-request', 'Ask for board and address.', 'DEVICE_INFO', 3, {});
res('device-info-response', 'Board name, static random address, uptime.', 'DEVICE_INFO', 3, {
  board: 'nrf52840-dongle',
  address: bytes('c0ffee000001'),
  addressType: 1,
  uptimeMs: 1234,
});
req('reset-request', 'Reset the co-processor (it answers, then reboots and sends BOOT).', 'RESET', 4, {});
res('reset-response', 'Empty success response.', 'RESET', 4, {});
req('scan-start-request', 'Active scan, 100 ms interval (160 units), 50 ms window (80 units), duplicates not filtered.', 'SCAN_START', 5, {
  intervalUnits: 160,
  windowUnits: 80,
  active: true,
  filterDuplicates: false,
});
res('scan-start-response', 'Empty success response.', 'SCAN_START', 5, {});
req('scan-stop-request', 'Stop scanning.', 'SCAN_STOP', 6, {});
req('adv-set-data-legacy-request', 'Legacy: flags + 16-bit service data (FEAA), empty scan response.', 'ADV_SET_DATA', 7, {
  mode: AdvMode.LEGACY,
  advData: bytes('020106 0716aafe 0102030405'),
  scanResponse: new Uint8Array(0),
});
req('adv-set-data-legacy-full-request', 'Legacy at the limit: 31 + 31 bytes (with zeros that COBS must carry).', 'ADV_SET_DATA', 8, {
  mode: AdvMode.LEGACY,
  advData: Uint8Array.from({ length: 31 }, (_, i) => (i * 7) & 0xff),
  scanResponse: Uint8Array.from({ length: 31 }, (_, i) => (i % 5 === 0 ? 0 : 0x40 + i)),
});
req('adv-set-data-extended-request', 'Extended: 300 bytes of AD data (more than one 254-byte COBS block).', 'ADV_SET_DATA', 9, {
  mode: AdvMode.EXTENDED,
  advData: Uint8Array.from({ length: 300 }, (_, i) => (i % 17 === 0 ? 0 : (i * 31 + 5) & 0xff)),
  scanResponse: new Uint8Array(0),
});
req('adv-start-request', 'Advertise every 100 ms (160 units).', 'ADV_START', 10, { intervalUnits: 160 });
req('adv-stop-request', 'Stop advertising.', 'ADV_STOP', 11, {});
req('nfc-poll-request', 'Poll for taps and SELECT this AID on ISO-DEP phones.', 'NFC_POLL', 12, { enabled: true, aid: bytes('f0576179') });
add('error-unknown-command', 'Error reply to an unknown command id 0x7f.', 'error', 'HELLO', 13,
  { code: DEVICE_ERRORS.UNKNOWN_COMMAND, message: 'unknown command 0x7f' },
  encodeDeviceError({ code: DEVICE_ERRORS.UNKNOWN_COMMAND, message: 'unknown command 0x7f' }));
add('error-data-too-long', 'Error reply to ADV_SET_DATA with 32 bytes of legacy data.', 'error', 'ADV_SET_DATA', 14,
  { code: DEVICE_ERRORS.DATA_TOO_LONG, message: 'legacy advData 32 > 31' },
  encodeDeviceError({ code: DEVICE_ERRORS.DATA_TOO_LONG, message: 'legacy advData 32 > 31' }));
req('nfc-tap-ack-request', 'Host acknowledges taps up to 7 of boot 0x5eed0001 and asks for any later ones again (after a reconnect).', 'NFC_TAP_ACK', 15, {
  bootId: 0x5eed0001,
  tapSeq: 7,
  resend: true,
});
res('nfc-tap-ack-response', 'Firmware boot 0x5eed0001, newest tap 9 (so taps 8 and 9 follow as NFC_TAP events).', 'NFC_TAP_ACK', 15, { bootId: 0x5eed0001, lastTapSeq: 9 });
evt('boot-event', 'Firmware came up after power-on.', 'BOOT', 0, { resetReason: ResetReason.POWER_ON, protocolVersion: 1 });
evt('adv-report-legacy-event', 'Legacy ADV_NONCONN_IND from a random address at -67 dBm.', 'ADV_REPORT', 1, {
  kind: ReportKind.LEGACY,
  eventType: 0x03,
  addressType: 1,
  address: bytes('d1e2f3a4b5c6'),
  rssi: -67,
  data: bytes('020106 0716aafe 0102030405'),
});
evt('adv-report-extended-event', 'Extended report (event_type 0x0000: non-connectable, non-scannable, undirected), 40 bytes, -80 dBm.', 'ADV_REPORT', 2, {
  kind: ReportKind.EXTENDED,
  eventType: 0x0000,
  addressType: 0,
  address: bytes('001122334455'),
  rssi: -80,
  data: Uint8Array.from({ length: 40 }, (_, i) => i),
});
evt('nfc-tap-uid-event', 'A 7-byte NFC tag UID.', 'NFC_TAP', 3, { kind: TapKind.TAG_UID, uid: bytes('04a1b2c3d4e580'), response: new Uint8Array(0) });
evt('nfc-tap-iso-dep-event', "A phone's ISO-DEP answer to SELECT AID: 8 data bytes + SW 9000.", 'NFC_TAP', 4, {
  kind: TapKind.ISO_DEP,
  uid: bytes('08123456'),
  response: bytes('0102030405060708 9000'),
});
evt('nfc-tap-sequenced-event', 'A tag UID from firmware with TAP_ACK: appended bootId 0x5eed0001 and tapSeq 8.', 'NFC_TAP', 6, {
  kind: TapKind.TAG_UID,
  uid: bytes('04a1b2c3d4e580'),
  response: new Uint8Array(0),
  bootId: 0x5eed0001,
  tapSeq: 8,
});
evt('device-error-event', 'Unsolicited: the controller stopped scanning.', 'DEVICE_ERROR', 5, { code: DEVICE_ERRORS.RADIO_FAILURE, message: 'scan aborted (HCI 0x3e)' });

/** Invalid inputs: the decoder must reject each with WAYMARK_ERR_SERIAL_FRAME and this reason. */
const invalid: { name: string; description: string; wire: string; reason: string }[] = [];
const good = packFrame({ version: 1, type: FrameType.REQUEST, seq: 2, id: COMMANDS.PING.id, payload: new Uint8Array(0) });
const wire = (decoded: Uint8Array) => hex(Uint8Array.of(0, ...cobsEncode(decoded), 0));
const badCrc = good.slice();
badCrc[badCrc.length - 1] ^= 0x01;
invalid.push({ name: 'bad-crc', description: 'PING request with the CRC high byte flipped.', wire: wire(badCrc), reason: 'crc' });
invalid.push({ name: 'short', description: 'Only 5 bytes between delimiters.', wire: wire(good.subarray(0, 5)), reason: 'short' });
const longer = new Uint8Array(good.length + 1);
longer.set(good.subarray(0, 7));
longer[7] = 0xaa;
const lcrc = crc16(longer, 0, 8);
longer[8] = lcrc & 0xff;
longer[9] = lcrc >> 8;
invalid.push({ name: 'length-mismatch', description: 'Length field says 0, one payload byte follows (CRC valid).', wire: wire(longer), reason: 'length' });
const oversized = Uint8Array.from([1, 1, 2, 0, 0x02, 0x01, 0x08, 0, 0]); // length 0x0801 = 2049
const ocrc = crc16(oversized, 0, 7);
oversized[7] = ocrc & 0xff;
oversized[8] = ocrc >> 8;
invalid.push({ name: 'oversized-length', description: 'Length field 2049 (> 2048 maximum).', wire: wire(oversized), reason: 'oversized' });
const badType = good.slice();
badType[1] = 0x09;
const tcrc = crc16(badType, 0, 7);
badType[7] = tcrc & 0xff;
badType[8] = tcrc >> 8;
invalid.push({ name: 'unknown-type', description: 'Frame type 0x09 (CRC valid).', wire: wire(badType), reason: 'type' });
invalid.push({ name: 'bad-cobs', description: 'COBS code 0x05 runs past the end of the frame.', wire: '00050102' + '00', reason: 'cobs' });

const out = {
  description:
    'Golden frames of the Waymark serial link (docs/PROTOCOL.md, "Serial link (co-processor)"). ' +
    'All hex. decoded = header (version, type, seq u16 LE, id, length u16 LE) + payload + CRC-16/CCITT-FALSE (LE); ' +
    'wire = 00 + COBS(decoded) + 00. Generated by test/vectors/generate-serial-vectors.ts.',
  crc: { algorithm: 'CRC-16/CCITT-FALSE', poly: '0x1021', init: '0xffff', refin: false, refout: false, xorout: '0x0000', check: '0x29b1' },
  valid,
  invalid,
};
writeFileSync(new URL('./serial-frames.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
console.log(`wrote ${valid.length} valid and ${invalid.length} invalid serial frame vectors`);
