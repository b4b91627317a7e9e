/**
 * Reads a venue's exposure status as of the latest block (expiry is evaluated on read).
 */
import { readRegistry, type RegistryClient } from '../client.js';
import { assertVenueId } from '../validate.js';

export type VenueStatus = 'Empty' | 'Clean' | 'Infected';
/** The contract's `Status` enum order. */
export const VENUE_STATUSES: readonly VenueStatus[] = ['Empty', 'Clean', 'Infected'];

export interface StatusOfParameters {
  venueId: bigint | number;
}

export type StatusOfReturnType = VenueStatus;

export async function statusOf(client: RegistryClient, params: StatusOfParameters): Promise<StatusOfReturnType> {
  const venueId = assertVenueId(params.venueId);
  const raw = await readRegistry<bigint>(client, 'statusOf', 'statusOf', [venueId]);
  return VENUE_STATUSES[Number(raw)];
}
