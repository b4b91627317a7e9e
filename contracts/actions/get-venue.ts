/**
 * Looks a venue up by id: geohash, region, operator, metadata hash, status and its latest
 * exposure window; unknown ids fail with WAYMARK_ERR_CHAIN_UNKNOWN_VENUE.
 */
import { readRegistry, type RegistryClient } from '../client.js';
import { assertVenueId, geohashFromBytes9 } from '../validate.js';
import { VENUE_STATUSES, type VenueStatus } from './status-of.js';

export interface GetVenueParameters {
  venueId: bigint | number;
}

export interface GetVenueReturnType {
  venueId: bigint;
  geohash: string;
  region: string;
  operator: string;
  metadataHash: string;
  hasBatches: boolean;
  status: VenueStatus;
  /** The latest reported exposure window (0/0 if none), Unix seconds. */
  exposure: { fromTime: bigint; toTime: bigint; infectedUntil: bigint; cleanedAt: bigint };
}

export async function getVenue(client: RegistryClient, params: GetVenueParameters): Promise<GetVenueReturnType> {
  const venueId = assertVenueId(params.venueId);
  const [venue, exposure, status] = await Promise.all([
    readRegistry<[string, string, string, string, boolean]>(client, 'getVenue', 'venueOf', [venueId]),
    readRegistry<[bigint, bigint, bigint, bigint]>(client, 'getVenue', 'exposureOf', [venueId]),
    readRegistry<bigint>(client, 'getVenue', 'statusOf', [venueId]),
  ]);
  return {
    venueId,
    operator: venue[0],
    geohash: geohashFromBytes9(venue[1]),
    region: geohashFromBytes9(venue[2]),
    metadataHash: venue[3],
    hasBatches: venue[4],
    status: VENUE_STATUSES[Number(status)],
    exposure: { fromTime: exposure[0], toTime: exposure[1], infectedUntil: exposure[2], cleanedAt: exposure[3] },
  };
}
