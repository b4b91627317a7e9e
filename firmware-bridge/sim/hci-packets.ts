/**
 * HCI H4 packet layouts the virtual controller speaks (Core spec Vol 4 Part E): packet
 * types, event and command codes, and pure encoders for the events it sends.
 */

/** The H4 packet indicator, the first byte of every packet on an HCI socket. */
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
  ENHANCED_CONNECTION_COMPLETE: 0x0a,
  EXTENDED_ADVERTISING_REPORT: 0x0d,
} as const;

/** Error codes (Core spec Vol 1 Part F) the virtual controller answers with. */
export const HciStatus = {
  SUCCESS: 0x00,
  UNKNOWN_COMMAND: 0x01,
  UNKNOWN_CONNECTION_ID: 0x02,
  COMMAND_DISALLOWED: 0x0c,
  UNSUPPORTED_FEATURE: 0x11,
  INVALID_PARAMETERS: 0x12,
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
  LE_START_ENCRYPTION: 0x2019,
  LE_LTK_REQUEST_REPLY: 0x201a,
  LE_LTK_REQUEST_NEGATIVE_REPLY: 0x201b,
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
