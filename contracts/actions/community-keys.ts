/**
 * The community of a region, read from the registry: every kiosk authorized (and not revoked)
 * at a venue whose geohash starts with `region`, with its secp256k1 public key recovered from
 * the signature of a commitBatch transaction it sent. A kiosk that has never committed a batch
 * has no recoverable key yet and is listed under `withoutKey`. Reads events from block 0 in one
 * eth_getLogs per event (a long-lived chain needs the chunked scan of authority/log-scan.ts).
 */
import { Transaction, type Provider } from 'ethers';
import { WaymarkError } from '../../core/errors.js';
import { registryContract, type RegistryClient } from '../client.js';
import { geohashFromBytes9 } from '../validate.js';

export interface CommunityKeysParameters {
  /** A geohash prefix, 1-9 characters. */
  region: string;
}

export interface CommunityKiosk {
  kiosk: string;
  venueId: bigint;
  /** Compressed (33-byte) public key, 0x hex. */
  publicKey: string;
}

export interface CommunityKeysReturnType {
  region: string;
  kiosks: CommunityKiosk[];
  /** Authorized kiosks of the region with no commitBatch transaction to recover a key from. */
  withoutKey: string[];
}

export type CommunityKeysErrorType = WaymarkError;

export async function communityKeys(client: RegistryClient, params: CommunityKeysParameters): Promise<CommunityKeysReturnType> {
  const region = params.region;
  if (typeof region !== 'string' || !/^[0123456789bcdefghjkmnpqrstuvwxyz]{1,9}$/.test(region)) {
    throw new WaymarkError('WAYMARK_ERR_BAD_REQUEST', 'region must be a geohash prefix of 1-9 characters', { details: { field: 'region' } });
  }
  const contract = registryContract(client);
  const provider = (client.runner as { provider?: Provider | null }).provider ?? (client.runner as Provider);
  const venues = new Set<bigint>();
  for (const log of await contract.queryFilter(contract.filters.VenueRegistered!(), 0, 'latest')) {
    const args = (log as unknown as { args: { venueId: bigint; geohash: string } }).args;
    if (geohashFromBytes9(args.geohash).startsWith(region)) venues.add(args.venueId);
  }
  // replay authorizations and revocations in log order: the latest word per (venue, kiosk) holds
  const active = new Map<string, { kiosk: string; venueId: bigint }>();
  const changes = [
    ...(await contract.queryFilter(contract.filters.KioskAuthorized!(), 0, 'latest')).map((l) => ({ l, on: true })),
    ...(await contract.queryFilter(contract.filters.KioskRevoked!(), 0, 'latest')).map((l) => ({ l, on: false })),
  ].sort((a, b) => a.l.blockNumber - b.l.blockNumber || a.l.index - b.l.index);
  for (const { l, on } of changes) {
    const { venueId, kiosk } = (l as unknown as { args: { venueId: bigint; kiosk: string } }).args;
    if (!venues.has(venueId)) continue;
    const key = `${venueId}:${kiosk}`;
    if (on) active.set(key, { kiosk, venueId });
    else active.delete(key);
  }
  const kiosks: CommunityKiosk[] = [];
  const withoutKey: string[] = [];
  const seen = new Set<string>();
  for (const { kiosk, venueId } of active.values()) {
    if (seen.has(kiosk)) continue;
    seen.add(kiosk);
    const commits = await contract.queryFilter(contract.filters.BatchCommitted!(null, kiosk), 0, 'latest');
    const tx = commits.length ? await provider.getTransaction(commits[0]!.transactionHash) : null;
    const publicKey = tx ? Transaction.from(tx).fromPublicKey : null;
    if (!publicKey || Transaction.from(tx!).from !== kiosk) {
      withoutKey.push(kiosk);
      continue;
    }
    kiosks.push({ kiosk, venueId, publicKey: compress(publicKey) });
  }
  return { region, kiosks, withoutKey };
}

/** ethers gives the uncompressed 0x04 || X || Y key; the ring uses 0x02/0x03 || X. */
function compress(uncompressed: string): string {
  const hex = uncompressed.slice(4);
  const x = hex.slice(0, 64);
  const yOdd = (parseInt(hex.slice(-1), 16) & 1) === 1;
  return '0x' + (yOdd ? '03' : '02') + x;
}
