/**
 * Client-side checks that run before any transaction is sent, so bad input fails fast with
 * a WaymarkError naming the field instead of a revert (the contract checks the same rules).
 */
import ngeohash from 'ngeohash';
import { getAddress, isAddress, isHexString } from 'ethers';
import { WaymarkError } from '../core/errors.js';

/** The geohash base32 alphabet (ngeohash's): digits and b-z without a, i, l, o. */
export const GEOHASH_ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';
export const VENUE_GEOHASH_LENGTH = 9;

const UINT32_MAX = 2n ** 32n - 1n;
const UINT40_MAX = 2n ** 40n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

function checkGeohashChars(field: string, value: string): void {
  for (let i = 0; i < value.length; i++) {
    if (!GEOHASH_ALPHABET.includes(value[i])) {
      throw new WaymarkError('WAYMARK_ERR_GEOHASH_INVALID', `${field} "${value}" has "${value[i]}" at index ${i}, outside the base32 alphabet ${GEOHASH_ALPHABET}`, {
        details: { field, value, index: i },
      });
    }
  }
}

/** A venue geohash: exactly 9 base32 characters (a cell of about 4.8 m x 4.8 m). */
export function assertVenueGeohash(value: unknown, field = 'geohash'): string {
  if (typeof value !== 'string' || value.length !== VENUE_GEOHASH_LENGTH) {
    throw new WaymarkError('WAYMARK_ERR_GEOHASH_INVALID', `${field} must be ${VENUE_GEOHASH_LENGTH} characters, got ${typeof value === 'string' ? `"${value}" (${value.length})` : typeof value}`, {
      details: { field, value },
    });
  }
  checkGeohashChars(field, value);
  return value;
}

/** A region prefix: 1..8 base32 characters. */
export function assertRegionPrefix(value: unknown, field = 'prefix'): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > 8) {
    throw new WaymarkError('WAYMARK_ERR_GEOHASH_INVALID', `${field} must be 1..8 geohash characters, got ${JSON.stringify(value)}`, {
      details: { field, value },
    });
  }
  checkGeohashChars(field, value);
  return value;
}

/** The geohash-9 of a position, for provisioning a venue from its coordinates. */
export function venueGeohash(latitude: number, longitude: number): string {
  if (!(latitude >= -90 && latitude <= 90) || !(longitude >= -180 && longitude <= 180)) {
    throw new WaymarkError('WAYMARK_ERR_GEOHASH_INVALID', `position ${latitude},${longitude} is not a valid latitude/longitude`);
  }
  return ngeohash.encode(latitude, longitude, VENUE_GEOHASH_LENGTH);
}

/** Geohash bytes9 as returned by the contract (left-aligned, zero-padded) -> string. */
export function geohashFromBytes9(hex: string): string {
  const bytes = Buffer.from(hex.slice(2), 'hex');
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('latin1');
}

export function assertUint(value: unknown, field: string, max: bigint = UINT64_MAX): bigint {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else throw new WaymarkError('WAYMARK_ERR_BAD_REQUEST', `${field} must be an integer, got ${String(value)}`, { details: { field } });
  if (n < 0n || n > max) {
    throw new WaymarkError('WAYMARK_ERR_BAD_REQUEST', `${field} must be within 0..${max}, got ${n}`, { details: { field, value: n.toString() } });
  }
  return n;
}

/** Venue ids count up from 1. */
export function assertVenueId(value: unknown, field = 'venueId'): bigint {
  const id = assertUint(value, field);
  if (id === 0n) throw new WaymarkError('WAYMARK_ERR_CHAIN_UNKNOWN_VENUE', `${field} 0 (venue ids start at 1)`, { details: { field } });
  return id;
}

/** Unix seconds that fit the contract's uint40 fields. */
export function assertTime(value: unknown, field: string): bigint {
  return assertUint(value, field, UINT40_MAX);
}

export function assertCount(value: unknown, field = 'count'): bigint {
  const n = assertUint(value, field, UINT32_MAX);
  if (n === 0n) throw new WaymarkError('WAYMARK_ERR_CHAIN_BAD_BATCH', `${field} must be at least 1`, { details: { field } });
  return n;
}

export function assertBytes32(value: unknown, field: string): string {
  if (typeof value !== 'string' || !isHexString(value, 32)) {
    throw new WaymarkError('WAYMARK_ERR_BAD_REQUEST', `${field} must be 32 bytes as 0x-hex, got ${JSON.stringify(value)}`, { details: { field } });
  }
  return value.toLowerCase();
}

export function assertAddress(value: unknown, field: string): string {
  if (typeof value !== 'string' || !isAddress(value) || /^0x0{40}$/i.test(value)) {
    throw new WaymarkError('WAYMARK_ERR_BAD_REQUEST', `${field} must be a non-zero 20-byte address, got ${JSON.stringify(value)}`, { details: { field } });
  }
  return getAddress(value);
}

/** An exposure window [from, to] in Unix seconds; from must not be after to. */
export function assertExposureWindow(fromTime: unknown, toTime: unknown): { fromTime: bigint; toTime: bigint } {
  const from = assertTime(fromTime, 'fromTime');
  const to = assertTime(toTime, 'toTime');
  if (from > to) {
    throw new WaymarkError('WAYMARK_ERR_EXPOSURE_WINDOW', `fromTime ${from} is after toTime ${to}`, { details: { fromTime: from.toString(), toTime: to.toString() } });
  }
  return { fromTime: from, toTime: to };
}
