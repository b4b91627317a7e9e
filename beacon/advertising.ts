/**
 * Turns a signed beacon frame into the bytes a BLE controller broadcasts: legacy
 * advertising pages (advertisement + scan response, 31 bytes each, one fragment per
 * Service Data AD), the single-PDU extended advertising form, and the GATT value; and
 * finds Waymark fragments in received AD bytes.
 */
import { WaymarkError } from '../core/errors.js';
import { assertBytes, concatBytes } from './bytes.js';
import { decodeBeaconFrame } from './frame.js';
import { fragmentBeaconFrame, LEGACY_FRAGMENT_PAYLOAD } from './fragments.js';

/**
 * Placeholder 16-bit Service Data UUID. A product must register its own member UUID
 * with the Bluetooth SIG and change this one constant: a 128-bit UUID would cost 14
 * bytes in every 31-byte PDU.
 */
export const BEACON_SERVICE_UUID16 = 0xfcd1;
/** As noble (and core/ports AdvertisingReport.serviceData) spells it. */
export const BEACON_SERVICE_UUID = 'fcd1';
/** GATT: the beacon service (same placeholder UUID16) and its read-only frame characteristic. */
export const BEACON_GATT_SERVICE_UUID = BEACON_SERVICE_UUID;
export const BEACON_GATT_FRAME_CHARACTERISTIC_UUID = '5c3a0001-8f2e-4b7a-9d61-57a1e9b0c0de';

export const AD_TYPE_FLAGS = 0x01;
export const AD_TYPE_SERVICE_DATA_UUID16 = 0x16;
/** LE General Discoverable Mode | BR/EDR Not Supported. */
export const BEACON_AD_FLAGS = 0x06;
export const LEGACY_AD_MAX_BYTES = 31;
/** Advertising data one extended advertising PDU (AUX_ADV_IND) carries without chaining. */
export const EXTENDED_AD_MAX_BYTES = 254;

/** One set of advertising data the advertiser gives the controller. */
export interface BeaconAdvertisingPage {
  /** Full AD bytes: Flags AD + one Service Data AD; at most 31 bytes. */
  advertisement: Uint8Array;
  /** One Service Data AD; at most 31 bytes. */
  scanResponse: Uint8Array;
  /** Which fragments the page carries: [in the advertisement, in the scan response]. */
  fragments: [number, number];
}

export interface AdStructure {
  type: number;
  data: Uint8Array;
}

export function flagsAd(flags = BEACON_AD_FLAGS): Uint8Array {
  return Uint8Array.of(2, AD_TYPE_FLAGS, flags);
}

/** A Service Data - 16-bit UUID AD structure (UUID little-endian, as on air). */
export function serviceDataAd(payload: Uint8Array, uuid16 = BEACON_SERVICE_UUID16): Uint8Array {
  assertBytes(payload, 'payload');
  if (payload.length > 251) throw new RangeError(`service data payload must be at most 251 bytes, got ${payload.length}`);
  return concatBytes(Uint8Array.of(payload.length + 3, AD_TYPE_SERVICE_DATA_UUID16, uuid16 & 0xff, uuid16 >> 8), payload);
}

/**
 * The legacy advertising schedule for one epoch's frame: the advertiser cycles through
 * the pages, switching at every advertising event (or as fast as it can). With four
 * fragments the pages are [f0|f1], [f2|f3], [f1|f0], [f3|f2]: an active scanner has
 * every fragment after any two consecutive pages, a passive scanner (advertisements
 * only) after all four.
 */
export function beaconSchedule(frame: Uint8Array): BeaconAdvertisingPage[] {
  const fragments = fragmentBeaconFrame(frame, LEGACY_FRAGMENT_PAYLOAD);
  const n = fragments.length;
  const pairs: [number, number][] = [];
  for (let a = 0; a < n; a += 2) pairs.push([a, (a + 1) % n]);
  for (const [a, b] of [...pairs]) if (a !== b) pairs.push([b, a]);
  return pairs.map(([a, b]) => {
    const advertisement = concatBytes(flagsAd(), serviceDataAd(fragments[a]));
    const scanResponse = serviceDataAd(fragments[b]);
    if (advertisement.length > LEGACY_AD_MAX_BYTES || scanResponse.length > LEGACY_AD_MAX_BYTES) {
      throw new RangeError('a legacy page exceeds 31 bytes (fragment payload too large)');
    }
    return { advertisement, scanResponse, fragments: [a, b] };
  });
}

/**
 * The single-PDU form for controllers with extended advertising (firmware-bridge):
 * Flags + one Service Data AD holding the whole frame as fragment 0 of 1 (94 bytes).
 */
export function extendedAdvertisingData(frame: Uint8Array): Uint8Array {
  const [whole] = fragmentBeaconFrame(frame, frame.length);
  return concatBytes(flagsAd(), serviceDataAd(whole));
}

/** The value of the GATT frame characteristic: the 85-byte frame itself (a long read past ATT_MTU 23). */
export function gattFrameValue(frame: Uint8Array): Uint8Array {
  return decodeBeaconFrame(frame).bytes;
}

/**
 * Split AD bytes into AD structures. A zero length byte ends the significant part (the
 * rest is padding); a length running past the end throws WAYMARK_ERR_AD_MALFORMED.
 */
export function parseAdStructures(ad: Uint8Array): AdStructure[] {
  assertBytes(ad, 'ad');
  const out: AdStructure[] = [];
  let i = 0;
  while (i < ad.length) {
    const length = ad[i];
    if (length === 0) break;
    if (i + 1 + length > ad.length) {
      throw new WaymarkError('WAYMARK_ERR_AD_MALFORMED', `AD structure at byte ${i} has length ${length}, past the end (${ad.length} bytes)`, {
        details: { offset: i, length, total: ad.length },
      });
    }
    out.push({ type: ad[i + 1], data: ad.slice(i + 2, i + 1 + length) });
    i += 1 + length;
  }
  return out;
}

/** The Waymark beacon Service Data payloads (fragments) in AD bytes, in order. */
export function beaconFragmentsInAd(ad: Uint8Array, uuid16 = BEACON_SERVICE_UUID16): Uint8Array[] {
  return parseAdStructures(ad)
    .filter((s) => s.type === AD_TYPE_SERVICE_DATA_UUID16 && s.data.length >= 2 && (s.data[0] | (s.data[1] << 8)) === uuid16)
    .map((s) => s.data.slice(2));
}
