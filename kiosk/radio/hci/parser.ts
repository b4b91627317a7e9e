/**
 * The parser of LE Advertising Report events (legacy 0x02 and extended 0x0D), as the kiosk
 * reads them from a capture or the controller: never throws on damaged input.
 */
import { formatAddress } from '../../../core/address.js';
import { AdvEventType, HciEventCode, HciPacketType } from './packet.js';

const HCI_EVENT_LE_META = HciEventCode.LE_META;
const LE_ADVERTISING_REPORT = 0x02;
const LE_EXTENDED_ADVERTISING_REPORT = 0x0d;

export interface AdvertisingReport {
  /** `aa:bb:cc:dd:ee:ff`, most significant byte first. */
  address: string;
  /** 0 public, 1 random; extended reports add 2/3 (identity addresses) and 0xff (anonymous). */
  addressType: number;
  /** Legacy PDU kind. For extended (non-legacy) PDUs, the nearest legacy kind; see `extended.eventProperties`. */
  eventType: AdvEventType;
  data: Uint8Array;
  /** dBm; 127 means the controller had no RSSI. */
  rssi: number;
  /** Only for reports from the LE Extended Advertising Report event (0x0D). */
  extended?: {
    eventProperties: number;
    legacy: boolean;
    /** 0 complete, 1 incomplete (more to come), 2 truncated. */
    dataStatus: number;
    primaryPhy: number;
    secondaryPhy: number;
    sid: number;
    /** dBm; 127 means not available. */
    txPower: number;
    periodicIntervalUnits: number;
    directAddressType: number;
    directAddress: string;
  };
}

export interface AdvertisingReportsResult {
  subevent: typeof LE_ADVERTISING_REPORT | typeof LE_EXTENDED_ADVERTISING_REPORT;
  reports: AdvertisingReport[];
  /** Reports the event announced but that could not be read (truncated, length past the end). */
  malformed: number;
  /** Why the reading stopped early, if it did. */
  problem?: string;
}

function readAddress(b: Uint8Array, at: number): string {
  const msbFirst = new Uint8Array(6);
  for (let i = 0; i < 6; i++) msbFirst[i] = b[at + 5 - i];
  return formatAddress(msbFirst);
}

function int8(x: number): number {
  return x > 127 ? x - 256 : x;
}

function legacyKindOf(props: number): AdvEventType {
  if (props & 0x10) {
    switch (props & 0x0f) {
      case 0x03: return 0x00;
      case 0x05: return 0x01;
      case 0x02: return 0x02;
      case 0x00: return 0x03;
      default: return props & 0x08 ? 0x04 : 0x03;
    }
  }
  if (props & 0x08) return 0x04;
  if (props & 0x04) return 0x01;
  if (props & 0x01) return 0x00;
  if (props & 0x02) return 0x02;
  return 0x03;
}

/**
 * Parses an LE Advertising Report (0x02) or LE Extended Advertising Report (0x0D) event,
 * given as an H4 frame (0x04 first) or as the bare event (0x3E first). Returns null for any
 * other event. Never throws on damaged input: whatever could not be read is counted in
 * `malformed`.
 */
export function decodeAdvertisingReports(eventBytes: Uint8Array): AdvertisingReportsResult | null {
  let b = eventBytes;
  if (b.length > 0 && b[0] === HciPacketType.EVENT) b = b.subarray(1);
  if (b.length < 3 || b[0] !== HCI_EVENT_LE_META) return null;
  const subevent = b[2];
  if (subevent !== LE_ADVERTISING_REPORT && subevent !== LE_EXTENDED_ADVERTISING_REPORT) return null;
  const result: AdvertisingReportsResult = { subevent, reports: [], malformed: 0 };
  // Never read past either the declared parameter length or the bytes we actually have.
  const end = Math.min(b.length, 2 + b[1]);
  if (end < 4) {
    result.malformed = 1;
    result.problem = 'event ends before num_reports';
    return result;
  }
  const count = b[3];
  let at = 4;
  for (let i = 0; i < count; i++) {
    const stop = (why: string): AdvertisingReportsResult => {
      result.malformed = count - i;
      result.problem = `report ${i + 1} of ${count}: ${why}`;
      return result;
    };
    if (subevent === LE_ADVERTISING_REPORT) {
      if (end - at < 9) return stop('truncated before data_length');
      const dataLength = b[at + 8];
      if (dataLength > 31) return stop(`data_length ${dataLength} exceeds 31`);
      if (end - at < 10 + dataLength) return stop(`data_length ${dataLength} runs past the end of the event`);
      result.reports.push({
        eventType: (b[at] <= 4 ? b[at] : 0x03) as AdvEventType,
        addressType: b[at + 1],
        address: readAddress(b, at + 2),
        data: b.slice(at + 9, at + 9 + dataLength),
        rssi: int8(b[at + 9 + dataLength]),
      });
      at += 10 + dataLength;
    } else {
      if (end - at < 24) return stop('truncated before data_length');
      const props = b[at] | (b[at + 1] << 8);
      const dataLength = b[at + 23];
      if (end - at < 24 + dataLength) return stop(`data_length ${dataLength} runs past the end of the event`);
      result.reports.push({
        eventType: legacyKindOf(props),
        addressType: b[at + 2],
        address: readAddress(b, at + 3),
        data: b.slice(at + 24, at + 24 + dataLength),
        rssi: int8(b[at + 13]),
        extended: {
          eventProperties: props,
          legacy: (props & 0x10) !== 0,
          dataStatus: (props >> 5) & 0x03,
          primaryPhy: b[at + 9],
          secondaryPhy: b[at + 10],
          sid: b[at + 11],
          txPower: int8(b[at + 12]),
          periodicIntervalUnits: b[at + 14] | (b[at + 15] << 8),
          directAddressType: b[at + 16],
          directAddress: readAddress(b, at + 17),
        },
      });
      at += 24 + dataLength;
    }
  }
  return result;
}
