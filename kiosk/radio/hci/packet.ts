/**
 * HCI H4 packets (Core spec Vol 4 Part E) as the kiosk's BLE stack and the virtual
 * controller exchange them: packet types, event, subevent and command codes, status codes,
 * and the small pure readers (ACL header, raw socket filter). Encoders are in writer.ts, the
 * advertising report parser in parser.ts.
 */

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

/** Connection parameters as LE Connection Complete and LE Connection Update Complete carry them. */
export interface ConnectionTiming {
  /** Conn_Interval in units of 1.25 ms. */
  interval: number;
  /** Conn_Latency in connection events. */
  latency: number;
  /** Supervision_Timeout in units of 10 ms. */
  supervisionTimeout: number;
}

/** The fields of an ACL data packet header, or null when the packet is not a whole ACL packet. */
export function parseAclHeader(packet: Uint8Array): { handle: number; boundary: number; data: Uint8Array } | null {
  if (packet.length < 5 || packet[0] !== HciPacketType.ACL_DATA) return null;
  const hf = packet[1] | (packet[2] << 8);
  const length = packet[3] | (packet[4] << 8);
  if (length !== packet.length - 5) return null;
  return { handle: hf & 0x0fff, boundary: (hf >> 12) & 0x3, data: packet.subarray(5) };
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
