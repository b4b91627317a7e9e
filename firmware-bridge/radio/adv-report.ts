/**
 * Turns the co-processor's ADV_REPORT events into the kiosk's AdvertisingReports, checking
 * them as the HCI guard checks HCI reports (RSSI range, AD structures, lengths): a bad report
 * is counted by reason and dropped, never passed on.
 */
import { addressKindOf, adStructuresProblem, formatAddress } from '../../core/address.js';
import type { AdvertisingReport } from '../../core/ports.js';
import { LEGACY_ADV_DATA_MAX, ReportKind, type EventOf } from '../protocol/commands.js';

/** Why a report was dropped; the names match the HCI guard's counters. */
export type ReportDropReason = 'adMalformed' | 'rssiOutOfRange' | 'reportMalformed';

export type ReportCheck = { report: AdvertisingReport } | { drop: ReportDropReason; detail: string };

/** The largest AD data of an extended report a controller can reassemble (Core spec Vol 6 Part B 2.3.4.9). */
const EXTENDED_ADV_DATA_MAX = 1650;

/** -127..+20 dBm is what the Core spec allows in an advertising report; 127 means "not available". */
export function rssiInRange(rssi: number): boolean {
  return Number.isInteger(rssi) && rssi >= -127 && rssi <= 20;
}

/** Legacy event types 0 ADV_IND and 1 ADV_DIRECT_IND are connectable; extended ones say so in bit 0. */
function isConnectable(kind: number, eventType: number): boolean {
  return kind === ReportKind.LEGACY ? eventType === 0x00 || eventType === 0x01 : (eventType & 0x0001) !== 0;
}

export function checkAdvReport(event: EventOf<'ADV_REPORT'>, time: number): ReportCheck {
  const { kind, eventType, addressType, address, rssi, data } = event;
  if (kind !== ReportKind.LEGACY && kind !== ReportKind.EXTENDED) return { drop: 'reportMalformed', detail: `report kind ${kind}` };
  if (addressType !== 0 && addressType !== 1) return { drop: 'reportMalformed', detail: `address type ${addressType}` };
  if (kind === ReportKind.LEGACY && eventType > 0x04) return { drop: 'reportMalformed', detail: `legacy event type ${eventType}` };
  const limit = kind === ReportKind.LEGACY ? LEGACY_ADV_DATA_MAX : EXTENDED_ADV_DATA_MAX;
  if (data.length > limit) return { drop: 'reportMalformed', detail: `${data.length} bytes of AD data, limit ${limit}` };
  if (!rssiInRange(rssi)) return { drop: 'rssiOutOfRange', detail: `rssi ${rssi}` };
  const problem = adStructuresProblem(data);
  if (problem) return { drop: 'adMalformed', detail: problem };

  const text = formatAddress(address);
  const type = addressType === 1 ? 'random' : 'public';
  const report: AdvertisingReport = {
    address: text,
    addressType: type,
    addressKind: addressKindOf(text, type),
    rssi,
    time,
    connectable: isConnectable(kind, eventType),
    serviceData: [],
  };
  for (const [adType, value] of adStructures(data)) {
    switch (adType) {
      case 0x16: // Service Data, 16-bit UUID
        if (value.length >= 2) report.serviceData.push({ uuid: uuidHex(value.subarray(0, 2)), data: value.slice(2) });
        break;
      case 0x20: // 32-bit UUID
        if (value.length >= 4) report.serviceData.push({ uuid: uuidHex(value.subarray(0, 4)), data: value.slice(4) });
        break;
      case 0x21: // 128-bit UUID
        if (value.length >= 16) report.serviceData.push({ uuid: uuidHex(value.subarray(0, 16)), data: value.slice(16) });
        break;
      case 0xff:
        report.manufacturerData = value.slice();
        break;
      case 0x08: // shortened local name
      case 0x09: // complete local name
        report.localName = new TextDecoder().decode(value);
        break;
      case 0x0a:
        if (value.length >= 1) report.txPowerLevel = (value[0]! << 24) >> 24;
        break;
    }
  }
  return { report };
}

/** (type, value) of each AD structure; call only on data adStructuresProblem accepted. */
function* adStructures(data: Uint8Array): Generator<[number, Uint8Array]> {
  let i = 0;
  while (i < data.length && data[i] !== 0) {
    const len = data[i]!;
    yield [data[i + 1]!, data.subarray(i + 2, i + 1 + len)];
    i += 1 + len;
  }
}

/** A UUID as noble writes it: little-endian on air, printed most significant byte first, lower case. */
function uuidHex(le: Uint8Array): string {
  return Array.from(le, (b) => b.toString(16).padStart(2, '0')).reverse().join('');
}
