/**
 * A venue's exposure status as its operator sees it (state, latest reported window, how
 * long it stays Infected, when it was last cleaned) and the operator's one action on it:
 * declaring an Infected venue cleaned, checked before the transaction is sent.
 */
import { getAddress } from 'ethers';
import { WaymarkError } from '../core/errors.js';
import { requireSigner, type RegistryClient } from '../contracts/client.js';
import { getVenue } from '../contracts/actions/get-venue.js';
import { markCleaned } from '../contracts/actions/mark-cleaned.js';
import type { VenueStatus } from '../contracts/actions/status-of.js';

export interface VenueStatusReport {
  venueId: number;
  geohash: string;
  region: string;
  operator: string;
  /** Evaluated by the contract at the latest block: an exposure past its expiry reads Clean. */
  state: VenueStatus;
  /** The latest reported window, Unix seconds; null if none was ever reported. */
  exposure: { from: number; to: number } | null;
  /**
   * Until when the venue is Infected, Unix seconds (latest window end + the expiry period);
   * null if no exposure counts. After it passes, the state is Clean even though the stored
   * value stays until the next write (`settle`).
   */
  infectedUntil: number | null;
  /** When the operator last marked it cleaned, Unix seconds; null if never. */
  cleanedAt: number | null;
}

export async function venueStatus(reader: RegistryClient, venueId: number): Promise<VenueStatusReport> {
  const v = await getVenue(reader, { venueId });
  const e = v.exposure;
  return {
    venueId,
    geohash: v.geohash,
    region: v.region,
    operator: v.operator,
    state: v.status,
    exposure: e.toTime === 0n ? null : { from: Number(e.fromTime), to: Number(e.toTime) },
    infectedUntil: e.infectedUntil === 0n ? null : Number(e.infectedUntil),
    cleanedAt: e.cleanedAt === 0n ? null : Number(e.cleanedAt),
  };
}

export interface VenueCleaned {
  venueId: number;
  txHash: string;
  blockNumber: number;
  /** The status after the transaction. */
  status: VenueStatusReport;
}

/**
 * The operator marks an Infected venue cleaned: Infected -> Clean at once. Refused before
 * any transaction with WAYMARK_ERR_CHAIN_UNAUTHORIZED when the key is not the venue's
 * operator, WAYMARK_ERR_CHAIN_CONFLICT when the venue is not Infected.
 */
export async function markVenueCleaned(operator: RegistryClient, venueId: number): Promise<VenueCleaned> {
  const me = getAddress(await requireSigner(operator, 'markCleaned').getAddress());
  const before = await venueStatus(operator, venueId);
  if (before.operator !== me) {
    throw new WaymarkError('WAYMARK_ERR_CHAIN_UNAUTHORIZED', `${me} is not the operator of venue ${venueId} (${before.operator} is)`, { details: { venueId, operator: before.operator, signer: me } });
  }
  if (before.state !== 'Infected') {
    throw new WaymarkError('WAYMARK_ERR_CHAIN_CONFLICT', `venue ${venueId} is ${before.state}; only an Infected venue can be marked cleaned`, { details: { venueId, state: before.state } });
  }
  const r = await markCleaned(operator, { venueId });
  return { venueId, txHash: r.txHash, blockNumber: r.blockNumber, status: await venueStatus(operator, venueId) };
}
