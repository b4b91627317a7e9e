/**
 * `provision venue register`: turns a venue's name and coordinates into its geohash-9 cell
 * (ngeohash) and registers it on chain beneath its region, with the operator's address
 * and a hash of the venue's metadata.
 */
import ngeohash from 'ngeohash';
import { keccak256, toUtf8Bytes } from 'ethers';
import { WaymarkError } from '../core/errors.js';
import { VENUE_GEOHASH_LENGTH } from '../contracts/validate.js';
import { registerVenue } from '../contracts/actions/register-venue.js';
import type { RegistryClient } from '../contracts/client.js';
import { longestAuthorityPrefix } from '../contracts/actions/region-authority.js';
import type { BaseWallet } from 'ethers';

export interface VenueDescription {
  name: string;
  latitude: number;
  longitude: number;
  capacity?: number;
}

/** Parses a coordinate strictly ("52.1" yes; "", "52,1", "1e999", "north" no). */
export function parseCoordinate(text: string | undefined, field: 'lat' | 'lon'): number {
  const [min, max] = field === 'lat' ? [-90, 90] : [-180, 180];
  if (text === undefined || !/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text.trim())) {
    throw new WaymarkError('WAYMARK_ERR_COORDINATES_INVALID', `--${field} must be a decimal number within ${min}..${max}, got ${JSON.stringify(text ?? null)}`, { details: { field } });
  }
  const value = Number(text);
  if (!(value >= min && value <= max)) {
    throw new WaymarkError('WAYMARK_ERR_COORDINATES_INVALID', `--${field} ${value} is outside ${min}..${max}`, { details: { field, value } });
  }
  return value;
}

export function parseVenueDescription(input: { name?: string; lat?: string; lon?: string; capacity?: string }): VenueDescription {
  const name = input.name?.trim();
  if (!name || name.length > 80) throw new WaymarkError('WAYMARK_ERR_USAGE', '--name must be 1..80 characters', { details: { field: 'name' } });
  const venue: VenueDescription = { name, latitude: parseCoordinate(input.lat, 'lat'), longitude: parseCoordinate(input.lon, 'lon') };
  if (input.capacity !== undefined && input.capacity !== '') {
    if (!/^\d+$/.test(input.capacity) || Number(input.capacity) < 1 || Number(input.capacity) > 1_000_000) {
      throw new WaymarkError('WAYMARK_ERR_USAGE', `--capacity must be a whole number of people, 1..1000000, got ${JSON.stringify(input.capacity)}`, { details: { field: 'capacity' } });
    }
    venue.capacity = Number(input.capacity);
  }
  return venue;
}

export function geohashOf(venue: VenueDescription): string {
  return ngeohash.encode(venue.latitude, venue.longitude, VENUE_GEOHASH_LENGTH);
}

/** keccak256 of the canonical metadata JSON (name, coordinates, capacity), kept on chain. */
export function venueMetadataHash(venue: VenueDescription): string {
  const canonical = JSON.stringify({ name: venue.name, lat: venue.latitude, lon: venue.longitude, capacity: venue.capacity ?? null });
  return keccak256(toUtf8Bytes(canonical));
}

export interface RegisteredVenue {
  venueId: bigint;
  geohash: string;
  region: string;
  operator: string;
  metadataHash: string;
  txHash: string;
  venue: VenueDescription;
}

/**
 * Registers the venue. `authority` signs the transaction (a region authority above the
 * cell, which may be the operator itself); `operator` becomes the venue's operator.
 */
export async function registerVenueAt(authority: RegistryClient, operator: string, venue: VenueDescription): Promise<RegisteredVenue> {
  const geohash = geohashOf(venue);
  const metadataHash = venueMetadataHash(venue);
  const r = await registerVenue(authority, { geohash, operator, metadataHash });
  return { venueId: r.venueId, geohash, region: r.region, operator, metadataHash, txHash: r.txHash, venue };
}

/**
 * Of the keys at hand, the one that is region authority of the longest prefix above the
 * cell (what the registry requires of `registerVenue`); undefined when none is.
 */
export async function regionSignerFor(reader: RegistryClient, geohash: string, candidates: readonly BaseWallet[]): Promise<BaseWallet | undefined> {
  const found = await longestAuthorityPrefix(reader, { geohash, who: candidates.map((c) => c.address) });
  return found ? candidates.find((c) => c.address === found.authority) : undefined;
}
