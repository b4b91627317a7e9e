/**
 * The public record of reported exposures: every ExposureReported event of the registry
 * (the contract keeps only each venue's latest window in storage; the events keep them
 * all), with each venue's geohash and current status, filtered by region prefix and time.
 * What `waymark authority exposures` lists and what a visitor wallet downloads.
 */
import { getAddress } from 'ethers';
import type { ExposureReport } from '../beacon/visitor/exposure.js';
import { registryContract, type RegistryClient } from '../contracts/client.js';
import { toChainError } from '../contracts/chain-errors.js';
import { getVenue, type GetVenueReturnType } from '../contracts/actions/get-venue.js';
import type { VenueStatus } from '../contracts/actions/status-of.js';
import { assertRegionPrefix } from '../contracts/validate.js';
import { providerOf, scanRegistryLogs, type LogScanOptions } from './log-scan.js';

export interface ListedExposure extends ExposureReport {
  expiresAt: number;
  authority: string;
  txHash: string;
  blockNumber: number;
  /** The venue's geohash-9 cell. */
  geohash: string;
  /** The venue's status now. */
  status: VenueStatus;
  /** The report's block time, Unix seconds. */
  reportedAt: number;
}

export interface ListExposuresOptions extends LogScanOptions {
  /** Only venues whose geohash starts with this prefix (1..8 characters). */
  region?: string;
  /** Only windows that end at or after this time, Unix seconds. */
  since?: number;
}

export interface ExposureList {
  exposures: ListedExposure[];
  /** The block range read, inclusive. */
  fromBlock: number;
  toBlock: number;
}

/** Every reported exposure in the block range (oldest first) that passes the filters. */
export async function listExposures(reader: RegistryClient, opts: ListExposuresOptions = {}): Promise<ExposureList> {
  const region = opts.region === undefined ? undefined : assertRegionPrefix(opts.region, 'region');
  const iface = registryContract(reader).interface;
  const scan = await scanRegistryLogs(reader, [iface.getEvent('ExposureReported')!.topicHash], opts);
  const venues = new Map<number, Promise<GetVenueReturnType>>();
  const blocks = new Map<number, Promise<number>>();
  const provider = providerOf(reader);
  const blockTime = (n: number): Promise<number> => {
    let p = blocks.get(n);
    if (!p) blocks.set(n, (p = provider.getBlock(n).then((b) => b!.timestamp, (err: unknown) => { throw toChainError(err, 'getBlock'); })));
    return p;
  };
  const exposures: ListedExposure[] = [];
  for (const log of scan.logs) {
    const args = iface.parseLog(log)!.args;
    const report = {
      venueId: Number(args.venueId as bigint),
      from: Number(args.fromTime as bigint),
      to: Number(args.toTime as bigint),
      expiresAt: Number(args.expiresAt as bigint),
      authority: getAddress(args.authority as string),
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
    };
    if (opts.since !== undefined && report.to < opts.since) continue;
    let venue = venues.get(report.venueId);
    if (!venue) venues.set(report.venueId, (venue = getVenue(reader, { venueId: report.venueId })));
    const { geohash, status } = await venue;
    if (region !== undefined && !geohash.startsWith(region)) continue;
    exposures.push({ ...report, geohash, status, reportedAt: await blockTime(log.blockNumber) });
  }
  return { exposures, fromBlock: scan.fromBlock, toBlock: scan.toBlock };
}
