/**
 * The parser of LE Advertising Report events (legacy 0x02 and extended 0x0D), as the kiosk
 * reads them from a capture or the controller: never throws on damaged input.
 * `decodeAdvertisingReports` gives every field of the event; `readAdvertisingReports` is the
 * scanner's hot path, straight to the kiosk's AdvertisingReports with the fields noble's
 * parser would have given, and nothing else.
 */
import { formatAddress } from '../../../core/address.js';
import type { AddressKind, AdvertisingReport as KioskReport } from '../../../core/ports.js';
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

// ---- the hot path -------------------------------------------------------------------

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** Char codes of the hex digits, for building an address string in one piece. */
const HEX_CODE: readonly number[] = Array.from({ length: 16 }, (_, i) => i.toString(16).charCodeAt(0));
const COLON = 0x3a;
/** A random address's kind by its two top bits (Core spec Vol 6 Part B 1.3). */
const RANDOM_KIND: readonly AddressKind[] = ['non-resolvable', 'resolvable', 'reserved', 'static'];
const utf8 = new TextDecoder();

/**
 * Reads each report of an LE Advertising Report (0x02) or LE Extended Advertising Report
 * (0x0D) event, as an H4 frame or the bare event, into an AdvertisingReport heard at `time`
 * and hands it to `onReport`. The report has what noble's parser would have made of it:
 * lower-case address, address type and kind, RSSI, connectable (ADV_IND and ADV_DIRECT_IND,
 * or an extended PDU's connectable bit), service data (16-, 32- and 128-bit UUIDs as noble
 * writes them), manufacturer data, local name and TX power level (the AD field, else an
 * extended report's TX power when the controller gave one). Its bytes are copies, so no HCI
 * buffer stays referenced. Returns how many reports could not be read
 * (lengths past the end of the event, malformed AD structures), or -1 for any other event.
 * Never throws on damaged input.
 */
export function readAdvertisingReports(event: Uint8Array, time: number, onReport: (report: KioskReport) => void): number {
  const b = event;
  const off = b.length > 0 && b[0] === HciPacketType.EVENT ? 1 : 0;
  if (b.length - off < 3 || b[off] !== HCI_EVENT_LE_META) return -1;
  const subevent = b[off + 2];
  if (subevent !== LE_ADVERTISING_REPORT && subevent !== LE_EXTENDED_ADVERTISING_REPORT) return -1;
  const end = Math.min(b.length, off + 2 + b[off + 1]!);
  if (end < off + 4) return 1;
  const count = b[off + 3]!;
  let at = off + 4;
  let bad = 0;
  for (let i = 0; i < count; i++) {
    let addressType: number;
    let addressAt: number;
    let dataAt: number;
    let dataEnd: number;
    let rssi: number;
    let txPower = 127;
    let connectable: boolean;
    if (subevent === LE_ADVERTISING_REPORT) {
      if (end - at < 10) return bad + count - i;
      const dataLength = b[at + 8]!;
      if (dataLength > 31 || end - at < 10 + dataLength) return bad + count - i;
      const eventType = b[at]!;
      connectable = eventType === AdvEventType.ADV_IND || eventType === AdvEventType.ADV_DIRECT_IND;
      addressType = b[at + 1]!;
      addressAt = at + 2;
      dataAt = at + 9;
      dataEnd = dataAt + dataLength;
      rssi = int8(b[dataEnd]!);
      at = dataEnd + 1;
    } else {
      if (end - at < 24) return bad + count - i;
      const dataLength = b[at + 23]!;
      if (end - at < 24 + dataLength) return bad + count - i;
      connectable = (b[at]! & 0x01) !== 0;
      addressType = b[at + 2]!;
      addressAt = at + 3;
      txPower = int8(b[at + 12]!);
      rssi = int8(b[at + 13]!);
      dataAt = at + 24;
      dataEnd = dataAt + dataLength;
      at = dataEnd;
    }
    const report = reportOf(b, addressType, addressAt, dataAt, dataEnd, rssi, txPower, connectable, time);
    if (report === null) bad++;
    else onReport(report);
  }
  return bad;
}

function reportOf(
  b: Uint8Array, addressType: number, addressAt: number, start: number, end: number,
  rssi: number, txPower: number, connectable: boolean, time: number,
): KioskReport | null {
  const msb = b[addressAt + 5]!;
  const random = addressType === 1 || addressType === 3;
  const report: KioskReport = {
    address: addressText(b, addressAt),
    addressType: random ? 'random' : 'public',
    addressKind: random ? RANDOM_KIND[msb >> 6]! : 'public',
    rssi,
    time,
    connectable,
    serviceData: [],
  };
  let i = start;
  while (i < end) {
    const len = b[i]!;
    if (len === 0) {
      // only zero padding may follow a zero length
      for (let j = i + 1; j < end; j++) if (b[j] !== 0) return null;
      break;
    }
    const valueEnd = i + 1 + len;
    if (valueEnd > end) return null;
    const v = i + 2;
    switch (b[i + 1]) {
      case 0x16: // Service Data, 16-bit UUID
        if (valueEnd - v >= 2) report.serviceData.push({ uuid: HEX[b[v + 1]!]! + HEX[b[v]!], data: copyOf(b, v + 2, valueEnd) });
        break;
      case 0x20: // 32-bit UUID
        if (valueEnd - v >= 4) report.serviceData.push({ uuid: uuidHex(b, v, 4), data: copyOf(b, v + 4, valueEnd) });
        break;
      case 0x21: // 128-bit UUID
        if (valueEnd - v >= 16) report.serviceData.push({ uuid: uuidHex(b, v, 16), data: copyOf(b, v + 16, valueEnd) });
        break;
      case 0xff: // Manufacturer Specific Data
        report.manufacturerData = copyOf(b, v, valueEnd);
        break;
      case 0x08: // Shortened Local Name
      case 0x09: // Complete Local Name
        report.localName = utf8.decode(b.subarray(v, valueEnd));
        break;
      case 0x0a: // TX Power Level
        if (valueEnd > v) report.txPowerLevel = int8(b[v]!);
        break;
    }
    i = valueEnd;
  }
  if (txPower !== 127 && report.txPowerLevel === undefined) report.txPowerLevel = txPower;
  return report;
}

/** `aa:bb:cc:dd:ee:ff` from the 6 bytes at `at`, least significant first, built as one flat string. */
function addressText(b: Uint8Array, at: number): string {
  const a5 = b[at + 5]!, a4 = b[at + 4]!, a3 = b[at + 3]!, a2 = b[at + 2]!, a1 = b[at + 1]!, a0 = b[at]!;
  const h = HEX_CODE;
  return String.fromCharCode(
    h[a5 >> 4]!, h[a5 & 15]!, COLON, h[a4 >> 4]!, h[a4 & 15]!, COLON, h[a3 >> 4]!, h[a3 & 15]!, COLON,
    h[a2 >> 4]!, h[a2 & 15]!, COLON, h[a1 >> 4]!, h[a1 & 15]!, COLON, h[a0 >> 4]!, h[a0 & 15]!,
  );
}

/** A copy (small AD values: a loop beats a typed-array view), so no HCI buffer stays referenced. */
function copyOf(b: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  for (let i = start; i < end; i++) out[i - start] = b[i]!;
  return out;
}

/** A little-endian UUID as noble writes it: most significant byte first, lower-case hex. */
function uuidHex(b: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = at + n - 1; i >= at; i--) s += HEX[b[i]!];
  return s;
}
