/**
 * HCI H4 packet layouts the virtual controller speaks (Core spec Vol 4 Part E): packet
 * types, event and command codes, and pure encoders for the events it sends.
 */

/** The H4 packet indicator, the first byte of every packet on an HCI socket. */
/** Legacy advertising PDU kinds as they appear in an LE Advertising Report's event_type. */
export const AdvEventType = {
  ADV_IND: 0x00,
  ADV_DIRECT_IND: 0x01,
  ADV_SCAN_IND: 0x02,
  ADV_NONCONN_IND: 0x03,
  SCAN_RSP: 0x04,
} as const;
export type AdvEventType = (typeof AdvEventType)[keyof typeof AdvEventType];

export const HciPacketType = {
  COMMAND: 0x01,
  ACL_DATA: 0x02,
  SCO_DATA: 0x03,
  EVENT: 0x04,
} as const;

export const HciEventCode = {
  DISCONNECTION_COMPLETE: 0x05,
  ENCRYPTION_CHANGE: 0x08,
  COMMAND_COMPLETE: 0x0e,
  COMMAND_STATUS: 0x0f,
  NUMBER_OF_COMPLETED_PACKETS: 0x13,
  LE_META: 0x3e,
} as const;

export const LeSubeventCode = {
  CONNECTION_COMPLETE: 0x01,
  ADVERTISING_REPORT: 0x02,
  CONNECTION_UPDATE_COMPLETE: 0x03,
  READ_REMOTE_FEATURES_COMPLETE: 0x04,
  DATA_LENGTH_CHANGE: 0x07,
  ENHANCED_CONNECTION_COMPLETE: 0x0a,
  EXTENDED_ADVERTISING_REPORT: 0x0d,
} as const;

/** Error codes (Core spec Vol 1 Part F) the virtual controller answers with. */
export const HciStatus = {
  SUCCESS: 0x00,
  UNKNOWN_COMMAND: 0x01,
  UNKNOWN_CONNECTION_ID: 0x02,
  CONNECTION_TIMEOUT: 0x08,
  CONNECTION_ALREADY_EXISTS: 0x0b,
  COMMAND_DISALLOWED: 0x0c,
  UNSUPPORTED_FEATURE: 0x11,
  INVALID_PARAMETERS: 0x12,
  REMOTE_USER_TERMINATED: 0x13,
  LOCAL_HOST_TERMINATED: 0x16,
} as const;

/** The Packet_Boundary_Flag of an ACL data packet (bits 12-13 of the handle field). */
export const AclBoundary = {
  /** Host to controller: first fragment of a non-automatically-flushable L2CAP PDU (what noble and bleno send). */
  FIRST_NON_FLUSHABLE: 0x0,
  CONTINUATION: 0x1,
  /** Controller to host on LE: first fragment of an L2CAP PDU. */
  FIRST_FLUSHABLE: 0x2,
} as const;

/** Opcode = OGF << 10 | OCF. */
export const Opcode = {
  DISCONNECT: 0x0406,
  SET_EVENT_MASK: 0x0c01,
  RESET: 0x0c03,
  READ_LE_HOST_SUPPORTED: 0x0c6c,
  WRITE_LE_HOST_SUPPORTED: 0x0c6d,
  READ_LOCAL_VERSION: 0x1001,
  READ_LOCAL_SUPPORTED_COMMANDS: 0x1002,
  READ_LOCAL_SUPPORTED_FEATURES: 0x1003,
  READ_BUFFER_SIZE: 0x1005,
  READ_BD_ADDR: 0x1009,
  READ_REMOTE_VERSION: 0x041d,
  READ_RSSI: 0x1405,
  LE_SET_EVENT_MASK: 0x2001,
  LE_READ_BUFFER_SIZE: 0x2002,
  LE_READ_LOCAL_SUPPORTED_FEATURES: 0x2003,
  LE_SET_RANDOM_ADDRESS: 0x2005,
  LE_SET_ADVERTISING_PARAMETERS: 0x2006,
  LE_READ_ADVERTISING_CHANNEL_TX_POWER: 0x2007,
  LE_SET_ADVERTISING_DATA: 0x2008,
  LE_SET_SCAN_RESPONSE_DATA: 0x2009,
  LE_SET_ADVERTISE_ENABLE: 0x200a,
  LE_SET_SCAN_PARAMETERS: 0x200b,
  LE_SET_SCAN_ENABLE: 0x200c,
  LE_CREATE_CONNECTION: 0x200d,
  LE_CREATE_CONNECTION_CANCEL: 0x200e,
  LE_READ_WHITE_LIST_SIZE: 0x200f,
  LE_CLEAR_WHITE_LIST: 0x2010,
  LE_CONNECTION_UPDATE: 0x2013,
  LE_READ_REMOTE_FEATURES: 0x2016,
  LE_START_ENCRYPTION: 0x2019,
  LE_LTK_REQUEST_REPLY: 0x201a,
  LE_LTK_REQUEST_NEGATIVE_REPLY: 0x201b,
  LE_SET_DATA_LENGTH: 0x2022,
  LE_READ_SUGGESTED_DEFAULT_DATA_LENGTH: 0x2023,
  LE_WRITE_SUGGESTED_DEFAULT_DATA_LENGTH: 0x2024,
  LE_READ_MAXIMUM_DATA_LENGTH: 0x202f,
  LE_READ_PHY: 0x2030,
  LE_SET_DEFAULT_PHY: 0x2031,
} as const;

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

/** Connection parameters as LE Connection Complete and LE Connection Update Complete carry them. */
export interface ConnectionTiming {
  /** Conn_Interval in units of 1.25 ms. */
  interval: number;
  /** Conn_Latency in connection events. */
  latency: number;
  /** Supervision_Timeout in units of 10 ms. */
  supervisionTimeout: number;
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

/** The fields of an ACL data packet header, or null when the packet is not a whole ACL packet. */
export function parseAclHeader(packet: Uint8Array): { handle: number; boundary: number; data: Uint8Array } | null {
  if (packet.length < 5 || packet[0] !== HciPacketType.ACL_DATA) return null;
  const hf = packet[1] | (packet[2] << 8);
  const length = packet[3] | (packet[4] << 8);
  if (length !== packet.length - 5) return null;
  return { handle: hf & 0x0fff, boundary: (hf >> 12) & 0x3, data: packet.subarray(5) };
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

/** A raw socket's filter (struct hci_filter): which packet types and event codes pass. */
export interface HciSocketFilter {
  typeMask: number;
  eventMaskLow: number;
  eventMaskHigh: number;
  opcode: number;
}

/** Parses the 14/16-byte filter noble and bleno pass to setFilter(). */
export function parseSocketFilter(bytes: Uint8Array): HciSocketFilter {
  if (bytes.length < 14) throw new RangeError(`filter must be at least 14 bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    typeMask: view.getUint32(0, true),
    eventMaskLow: view.getUint32(4, true),
    eventMaskHigh: view.getUint32(8, true),
    opcode: view.getUint16(12, true),
  };
}

/** Whether a packet passes a raw socket filter, as Linux's is_filtered_packet() decides. */
export function filterPasses(filter: HciSocketFilter | null, packet: Uint8Array): boolean {
  if (!filter) return true;
  const type = packet[0] & 31;
  if (((filter.typeMask >>> type) & 1) === 0) return false;
  if (type !== HciPacketType.EVENT) return true;
  const code = packet[1] & 63;
  const mask = code < 32 ? filter.eventMaskLow : filter.eventMaskHigh;
  if (((mask >>> (code & 31)) & 1) === 0) return false;
  if (filter.opcode === 0) return true;
  if (code === HciEventCode.COMMAND_COMPLETE) return (packet[4] | (packet[5] << 8)) === filter.opcode;
  if (code === HciEventCode.COMMAND_STATUS) return (packet[5] | (packet[6] << 8)) === filter.opcode;
  return true;
}
