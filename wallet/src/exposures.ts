/**
 * Passive exposure checking: the wallet downloads every `ExposureReported` event of the
 * registries its check-ins name (the same download for every visitor of the region), keeps
 * them as a cache (public data), and matches its own check-ins locally. Offline, the cached
 * reports are matched again; nothing about the check-ins leaves the phone.
 */
import { fetchExposureReports } from '../../beacon/visitor/exposure-logs.js';
import { matchExposures, type ExposureMatch, type ExposureReport, type VisitorCheckin } from '../../beacon/visitor/exposure.js';
import type { FetchLike } from '../../beacon/visitor/client.js';
import type { WalletEntry } from '../../beacon/visitor/wallet.js';
import { RETENTION_S } from './vault.js';
import { browserFetch } from './visits.js';

/** Blocks read again on the next check, in case the chain reorganized its tip. */
const REORG_MARGIN = 12;

/** What the wallet keeps between checks, per RPC endpoint. */
export interface ReportCache {
  rpcUrl: string;
  /** `<chainId>:<registry lower-case>` -> the last block read and the reports so far. */
  sources: Record<string, { toBlock: number; reports: ExposureReport[] }>;
}

export interface ExposureCheck {
  matches: ExposureMatch[];
  /** Reports known (downloaded now or cached). */
  reports: number;
  /** Sources that could not be read this time (their cached reports were matched). */
  errors: string[];
  cache: ReportCache;
}

const sourceOf = (e: WalletEntry) => `${e.attestation.typedData.domain.chainId}:${e.attestation.typedData.domain.verifyingContract.toLowerCase()}`;

export function visitorCheckin(e: WalletEntry): VisitorCheckin {
  const m = e.attestation.typedData.message;
  return {
    id: e.attestation.id, venueId: m.venueId, geohash: m.geohash, time: m.time,
    ...(e.checkoutTime !== undefined ? { checkoutTime: e.checkoutTime } : {}),
    ...(e.kioskDwellS !== undefined ? { kioskDwellS: e.kioskDwellS } : {}),
  };
}

const reportKey = (r: ExposureReport) => `${r.txHash}:${r.venueId}:${r.from}:${r.to}`;

export async function checkExposures(entries: readonly WalletEntry[], rpcUrl: string, previous: ReportCache | undefined, now: number, fetchFn: FetchLike = browserFetch): Promise<ExposureCheck> {
  const cache: ReportCache = previous?.rpcUrl === rpcUrl ? { rpcUrl, sources: { ...previous.sources } } : { rpcUrl, sources: {} };
  const bySource = new Map<string, WalletEntry[]>();
  for (const e of entries) {
    const list = bySource.get(sourceOf(e)) ?? [];
    list.push(e);
    bySource.set(sourceOf(e), list);
  }
  const errors: string[] = [];
  const matches: ExposureMatch[] = [];
  let reports = 0;
  for (const [key, list] of bySource) {
    const [chainIdText, registry] = key.split(':') as [string, string];
    const chainId = Number(chainIdText);
    const prev = cache.sources[key];
    try {
      const dl = await fetchExposureReports({ rpcUrl, registry, fromBlock: prev ? Math.max(0, prev.toBlock - REORG_MARGIN) : undefined, fetch: fetchFn, now });
      if (dl.chainId !== chainId) {
        errors.push(`${rpcUrl} serves chain ${dl.chainId}; check-ins on chain ${chainId} were not checked there`);
      } else {
        const merged = new Map<string, ExposureReport>();
        for (const r of [...(prev?.reports ?? []), ...dl.reports]) if (r.to >= now - RETENTION_S) merged.set(reportKey(r), r);
        cache.sources[key] = { toBlock: dl.toBlock, reports: [...merged.values()] };
      }
    } catch (err) {
      errors.push(`registry ${registry}: ${(err as Error).message}`);
    }
    const known = cache.sources[key]?.reports ?? [];
    reports += known.length;
    matches.push(...matchExposures(list.map(visitorCheckin), known, { since: now - RETENTION_S }));
  }
  return { matches: matches.sort((a, b) => b.overlapS - a.overlapS), reports, errors, cache };
}
