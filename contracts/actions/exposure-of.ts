/**
 * Reads a venue's latest reported exposure window, until when it is Infected by it and when
 * it was last cleaned (each 0 when there is none); unknown ids fail with
 * WAYMARK_ERR_CHAIN_UNKNOWN_VENUE.
 */
import type { WaymarkError } from '../../core/errors.js';
import { readRegistry, type RegistryClient } from '../client.js';
import { assertVenueId } from '../validate.js';

export interface ExposureOfParameters {
  venueId: bigint | number;
}

/** Unix seconds; 0 = none. */
export interface ExposureOfReturnType {
  /** The latest reported window [fromTime, toTime] (0/0 if none was ever reported). */
  fromTime: bigint;
  toTime: bigint;
  /** Infected while the chain's time is before this (0 once cleaned or never infected). */
  infectedUntil: bigint;
  /** When the operator last marked the venue cleaned. */
  cleanedAt: bigint;
}

export type ExposureOfErrorType = WaymarkError;

export async function exposureOf(client: RegistryClient, params: ExposureOfParameters): Promise<ExposureOfReturnType> {
  const venueId = assertVenueId(params.venueId);
  const [fromTime, toTime, infectedUntil, cleanedAt] = await readRegistry<[bigint, bigint, bigint, bigint]>(client, 'exposureOf', 'exposureOf', [venueId]);
  return { fromTime, toTime, infectedUntil, cleanedAt };
}
