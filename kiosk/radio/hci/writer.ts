/**
 * Pure encoders of the HCI events and ACL packets a controller sends (what the virtual
 * controller answers noble and bleno with, and what btsnoop captures of advertising hold).
 */
import { HciEventCode, HciPacketType, LeSubeventCode, type ConnectionTiming } from './packet.js';

/** Builds a Command Complete event: 04 0e len num_hci_command_packets opcode(LE) return_parameters. */
export function commandCompleteEvent(opcode: number, returnParameters: ArrayLike<number>): Buffer {
  const n = returnParameters.length;
  const buf = Buffer.allocUnsafe(6 + n);
  buf[0] = HciPacketType.EVENT;
  buf[1] = HciEventCode.COMMAND_COMPLETE;
  buf[2] = 3 + n;
  buf[3] = 1; // the host may send one more command
  buf[4] = opcode & 0xff;
  buf[5] = opcode >> 8;
  for (let i = 0; i < n; i++) buf[6 + i] = returnParameters[i];
  return buf;
}

/** Builds a Command Status event: 04 0f 04 status num_hci_command_packets opcode(LE). */
export function commandStatusEvent(opcode: number, status: number): Buffer {
  return Buffer.from([HciPacketType.EVENT, HciEventCode.COMMAND_STATUS, 4, status, 1, opcode & 0xff, opcode >> 8]);
}

/** An LE Meta event frame with its header written: 04 3e <parameter length> <subevent>, parameters zeroed. */
function leMetaEvent(subevent: number, parameterLength: number): Buffer {
  const buf = Buffer.alloc(3 + parameterLength);
  buf[0] = HciPacketType.EVENT;
  buf[1] = HciEventCode.LE_META;
  buf[2] = parameterLength;
  buf[3] = subevent;
  return buf;
}

/**
 * LE Connection Complete: 04 3e 13 01 status handle(2) role peer_address_type
 * peer_address(6, LSB first) interval(2) latency(2) supervision_timeout(2) clock_accuracy.
 * `role` 0 = central (it initiated), 1 = peripheral (it advertised).
 */
export function leConnectionCompleteEvent(
  status: number,
  handle: number,
  role: 0 | 1,
  peerAddressType: number,
  peerAddress: Uint8Array,
  timing: ConnectionTiming,
): Buffer {
  const buf = leMetaEvent(LeSubeventCode.CONNECTION_COMPLETE, 19);
  buf[4] = status;
  buf.writeUInt16LE(handle, 5);
  buf[7] = role;
  buf[8] = peerAddressType;
  for (let i = 0; i < 6; i++) buf[9 + i] = peerAddress[5 - i];
  buf.writeUInt16LE(timing.interval, 15);
  buf.writeUInt16LE(timing.latency, 17);
  buf.writeUInt16LE(timing.supervisionTimeout, 19);
  buf[21] = 0x00; // Central_Clock_Accuracy: 500 ppm
  return buf;
}

/** LE Connection Update Complete: 04 3e 0a 03 status handle(2) interval(2) latency(2) supervision_timeout(2). */
export function leConnectionUpdateCompleteEvent(status: number, handle: number, timing: ConnectionTiming): Buffer {
  const buf = leMetaEvent(LeSubeventCode.CONNECTION_UPDATE_COMPLETE, 10);
  buf[4] = status;
  buf.writeUInt16LE(handle, 5);
  buf.writeUInt16LE(timing.interval, 7);
  buf.writeUInt16LE(timing.latency, 9);
  buf.writeUInt16LE(timing.supervisionTimeout, 11);
  return buf;
}

/** LE Read Remote Features Complete: 04 3e 0c 04 status handle(2) le_features(8). */
export function leReadRemoteFeaturesCompleteEvent(status: number, handle: number, features: ArrayLike<number>): Buffer {
  const buf = leMetaEvent(LeSubeventCode.READ_REMOTE_FEATURES_COMPLETE, 12);
  buf[4] = status;
  buf.writeUInt16LE(handle, 5);
  for (let i = 0; i < 8; i++) buf[7 + i] = features[i] ?? 0;
  return buf;
}

/** LE Data Length Change: 04 3e 0b 07 handle(2) max_tx_octets(2) max_tx_time(2) max_rx_octets(2) max_rx_time(2). */
export function leDataLengthChangeEvent(handle: number, txOctets: number, rxOctets: number): Buffer {
  const buf = leMetaEvent(LeSubeventCode.DATA_LENGTH_CHANGE, 11);
  buf.writeUInt16LE(handle, 4);
  buf.writeUInt16LE(txOctets, 6);
  buf.writeUInt16LE((txOctets + 14) * 8, 8); // time on the 1M PHY, microseconds
  buf.writeUInt16LE(rxOctets, 10);
  buf.writeUInt16LE((rxOctets + 14) * 8, 12);
  return buf;
}

/** Disconnection Complete: 04 05 04 status handle(2) reason. */
export function disconnectionCompleteEvent(status: number, handle: number, reason: number): Buffer {
  const buf = Buffer.from([HciPacketType.EVENT, HciEventCode.DISCONNECTION_COMPLETE, 4, status, 0, 0, reason]);
  buf.writeUInt16LE(handle, 4);
  return buf;
}

/** Number Of Completed Packets for one handle: 04 13 05 01 handle(2) count(2). */
export function numberOfCompletedPacketsEvent(handle: number, count: number): Buffer {
  const buf = Buffer.from([HciPacketType.EVENT, HciEventCode.NUMBER_OF_COMPLETED_PACKETS, 5, 1, 0, 0, 0, 0]);
  buf.writeUInt16LE(handle, 4);
  buf.writeUInt16LE(count, 6);
  return buf;
}

/** An ACL data packet: 02 handle|pb<<12 (2) length(2) data. */
export function aclDataPacket(handle: number, boundary: number, data: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(5 + data.length);
  buf[0] = HciPacketType.ACL_DATA;
  buf.writeUInt16LE((handle & 0x0fff) | (boundary << 12), 1);
  buf.writeUInt16LE(data.length, 3);
  buf.set(data, 5);
  return buf;
}

/** Bytes of an LE Advertising Report event carrying one report with `dataLength` bytes of AD. */
export function leAdvertisingReportSize(dataLength: number): number {
  return 15 + dataLength;
}

/**
 * Writes an LE Advertising Report event with one report into `out` at `offset`:
 * 04 3e len 02 01 event_type address_type address(6, LSB first) data_length data rssi.
 * `address` is most significant byte first, as written `aa:bb:..`. Returns the bytes written.
 */
export function writeLeAdvertisingReport(
  out: Uint8Array,
  offset: number,
  eventType: number,
  addressType: number,
  address: Uint8Array,
  data: Uint8Array,
  rssi: number,
): number {
  const n = data.length;
  out[offset] = HciPacketType.EVENT;
  out[offset + 1] = HciEventCode.LE_META;
  out[offset + 2] = 12 + n;
  out[offset + 3] = LeSubeventCode.ADVERTISING_REPORT;
  out[offset + 4] = 1; // num_reports
  out[offset + 5] = eventType;
  out[offset + 6] = addressType;
  out[offset + 7] = address[5];
  out[offset + 8] = address[4];
  out[offset + 9] = address[3];
  out[offset + 10] = address[2];
  out[offset + 11] = address[1];
  out[offset + 12] = address[0];
  out[offset + 13] = n;
  out.set(data, offset + 14);
  out[offset + 14 + n] = rssi & 0xff;
  return 15 + n;
}

/** One LE Advertising Report event as a fresh Buffer (see writeLeAdvertisingReport). */
export function leAdvertisingReportEvent(
  eventType: number,
  addressType: number,
  address: Uint8Array,
  data: Uint8Array,
  rssi: number,
): Buffer {
  const buf = Buffer.allocUnsafe(15 + data.length);
  writeLeAdvertisingReport(buf, 0, eventType, addressType, address, data, rssi);
  return buf;
}

/** What an LE Extended Advertising Report carries beside the address, data and RSSI. */
export interface ExtendedReportFields {
  /** Event_Type bits: 0 connectable, 1 scannable, 2 directed, 3 scan response, 4 legacy, 5-6 data status. */
  eventProperties: number;
  /** 1 LE 1M, 3 LE Coded. Default 1. */
  primaryPhy?: number;
  /** 0 none, 1 LE 1M, 2 LE 2M, 3 LE Coded. Default 0. */
  secondaryPhy?: number;
  /** 0xFF: none. Default 0xFF. */
  sid?: number;
  /** dBm, 127 = not available. Default 127. */
  txPower?: number;
}

/**
 * One LE Extended Advertising Report event (subevent 0x0D) with one report: 04 3e len 0d 01 |
 * event_type(2, LE) address_type address(6, LSB first) primary_phy secondary_phy sid tx_power
 * rssi periodic_interval(2) direct_address_type direct_address(6) data_length data. Up to 229
 * data bytes fit one event.
 */
export function leExtendedAdvertisingReportEvent(
  fields: ExtendedReportFields, addressType: number, address: Uint8Array, data: Uint8Array, rssi: number,
): Buffer {
  if (data.length > 229) throw new RangeError(`data must fit one event (229 bytes), got ${data.length}`);
  const buf = Buffer.alloc(29 + data.length);
  buf[0] = HciPacketType.EVENT;
  buf[1] = HciEventCode.LE_META;
  buf[2] = 26 + data.length;
  buf[3] = LeSubeventCode.EXTENDED_ADVERTISING_REPORT;
  buf[4] = 1; // num_reports
  buf.writeUInt16LE(fields.eventProperties, 5);
  buf[7] = addressType;
  for (let i = 0; i < 6; i++) buf[8 + i] = address[5 - i]!;
  buf[14] = fields.primaryPhy ?? 1;
  buf[15] = fields.secondaryPhy ?? 0;
  buf[16] = fields.sid ?? 0xff;
  buf[17] = (fields.txPower ?? 127) & 0xff;
  buf[18] = rssi & 0xff;
  // periodic interval 0, direct address type 0, direct address 00..00: already zero
  buf[28] = data.length;
  buf.set(data, 29);
  return buf;
}
