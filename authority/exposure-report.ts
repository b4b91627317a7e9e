/**
 * Turning verified stays into exposure reports: one window per venue over the stays that
 * overlap (a venue visited twice on different days gets two windows, not one spanning the
 * days between), checked against what the contract would refuse (a signer that is not the
 * venue's region authority, a window too old to change anything) before anything is sent.
 */
import { getAddress } from 'ethers';
import { WaymarkError, isWaymarkError, type ErrorCode } from '../core/errors.js';
import { readRegistry, requireSigner, type RegistryClient } from '../contracts/client.js';
import { toChainError } from '../contracts/chain-errors.js';
import { getVenue } from '../contracts/actions/get-venue.js';
import { reportExposure } from '../contracts/actions/report-exposure.js';
import { assertExposureWindow, assertVenueId } from '../contracts/validate.js';
import { authorityPrefixOf } from './region.js';
import { providerOf } from './log-scan.js';
import type { RefusedSharedRecord, VerifiedSharedRecord } from './shared-records.js';

/** One report to send: a venue and a window, with the records that put it there. */
export interface ExposureWindow {
  venueId: number;
  /** Unix seconds, inclusive. */
  from: number;
  to: number;
  /** Indices of the shared records it covers (empty for a window given by hand). */
  records: number[];
}

/**
 * Groups stays by venue and merges those that overlap or touch into one window:
 * [earliest arrival, latest departure] of each group. Ordered by venue, then time.
 */
export function exposureWindows(stays: readonly Pick<VerifiedSharedRecord, 'record' | 'venueId' | 'arrival' | 'departure'>[]): ExposureWindow[] {
  const byVenue = new Map<number, typeof stays[number][]>();
  for (const s of stays) {
    let list = byVenue.get(s.venueId);
    if (!list) byVenue.set(s.venueId, (list = []));
    list.push(s);
  }
  const windows: ExposureWindow[] = [];
  for (const venueId of [...byVenue.keys()].sort((a, b) => a - b)) {
    const list = byVenue.get(venueId)!.slice().sort((a, b) => a.arrival - b.arrival || a.departure - b.departure);
    let open: ExposureWindow | undefined;
    for (const s of list) {
      if (open && s.arrival <= open.to) {
        open.to = Math.max(open.to, s.departure);
        open.records.push(s.record);
      } else {
        open = { venueId, from: s.arrival, to: s.departure, records: [s.record] };
        windows.push(open);
      }
    }
  }
  return windows;
}

/** The chain's view a report is checked against. */
export interface ReportContext {
  /** Latest block time, Unix seconds. */
  now: number;
  /** The registry's exposureExpiry, seconds. */
  expiryS: number;
}

export async function reportContext(reader: RegistryClient): Promise<ReportContext> {
  const [block, expiry] = await Promise.all([
    providerOf(reader).getBlock('latest').catch((err: unknown) => { throw toChainError(err, 'getBlock'); }),
    readRegistry<bigint>(reader, 'exposureExpiry', 'exposureExpiry', []),
  ]);
  return { now: block!.timestamp, expiryS: Number(expiry) };
}

/** Why the contract would refuse this window from `signer` (an error to refuse its records with), or null. */
export async function windowRefusal(reader: RegistryClient, w: ExposureWindow, ctx: ReportContext, signer?: string): Promise<WaymarkError | null> {
  let geohash: string;
  try {
    geohash = (await getVenue(reader, { venueId: w.venueId })).geohash;
  } catch (err) {
    if (isWaymarkError(err, 'WAYMARK_ERR_CHAIN_UNKNOWN_VENUE')) return err;
    throw err;
  }
  if (w.to + ctx.expiryS <= ctx.now) {
    return new WaymarkError('WAYMARK_ERR_EXPOSURE_WINDOW', `venue ${w.venueId}: the window ended at ${w.to}, more than the expiry period (${ctx.expiryS} s) before the chain's time ${ctx.now}; reporting it would change nothing`, {
      details: { venueId: w.venueId, to: w.to, expiryS: ctx.expiryS, now: ctx.now },
    });
  }
  if (signer && !(await authorityPrefixOf(reader, geohash, signer))) {
    return new WaymarkError('WAYMARK_ERR_CHAIN_UNAUTHORIZED', `${getAddress(signer)} is not a region authority above venue ${w.venueId} (${geohash}); the authority of its region must report it`, {
      details: { venueId: w.venueId, geohash, signer: getAddress(signer) },
    });
  }
  return null;
}

export interface SentReport {
  venueId: number;
  from: number;
  to: number;
  txHash: string;
  blockNumber: number;
  /** When the venue turns Clean on its own, Unix seconds. */
  expiresAt: number;
  records: number[];
}

export async function sendWindow(authority: RegistryClient, w: ExposureWindow): Promise<SentReport> {
  const r = await reportExposure(authority, { venueId: w.venueId, fromTime: w.from, toTime: w.to });
  return { venueId: w.venueId, from: w.from, to: w.to, txHash: r.txHash, blockNumber: r.blockNumber, expiresAt: Number(r.expiresAt), records: w.records };
}

export interface ReportRun {
  reported: SentReport[];
  /** Windows that would be sent (dry run), or were checked and not sent. */
  planned: ExposureWindow[];
  /** Records refused, by verification or because their window cannot be reported. */
  refused: RefusedSharedRecord[];
  /** Windows whose transaction failed (the error code and message). */
  failed: (ExposureWindow & { code: ErrorCode; message: string })[];
}

/**
 * Reports the windows of the verified stays: each window is checked first (its records are
 * refused with the reason when the contract would refuse it) and, unless `dryRun`, sent.
 * A failed transaction is recorded and the next window still goes out.
 */
export async function reportStays(
  reader: RegistryClient,
  verified: readonly VerifiedSharedRecord[],
  opts: { authority?: RegistryClient; dryRun?: boolean },
): Promise<ReportRun> {
  const signer = opts.authority ? await requireSigner(opts.authority, 'reportExposure').getAddress() : undefined;
  if (!opts.dryRun && !opts.authority) throw new WaymarkError('WAYMARK_ERR_USAGE', 'reporting needs the authority key (or a dry run)');
  const ctx = await reportContext(reader);
  const byRecord = new Map(verified.map((v) => [v.record, v]));
  const run: ReportRun = { reported: [], planned: [], refused: [], failed: [] };
  for (const w of exposureWindows(verified)) {
    const why = await windowRefusal(reader, w, ctx, signer);
    if (why) {
      for (const i of w.records) run.refused.push({ record: i, id: byRecord.get(i)!.id, venueId: w.venueId, code: why.code, message: why.message });
      continue;
    }
    run.planned.push(w);
    if (opts.dryRun) continue;
    try {
      run.reported.push(await sendWindow(opts.authority!, w));
    } catch (err) {
      // keep going: what was sent is still reported, and an outage fails each window the same way
      if (!isWaymarkError(err)) throw err;
      run.failed.push({ ...w, code: err.code, message: err.message });
    }
  }
  return run;
}

/** A window given by hand (`--venue --from --to`): the same checks, then one report. */
export async function reportWindow(
  reader: RegistryClient,
  window: { venueId: number; from: number; to: number },
  opts: { authority?: RegistryClient; dryRun?: boolean },
): Promise<{ planned: ExposureWindow; reported: SentReport | null }> {
  assertVenueId(window.venueId);
  assertExposureWindow(window.from, window.to);
  const w: ExposureWindow = { ...window, records: [] };
  const signer = opts.authority ? await requireSigner(opts.authority, 'reportExposure').getAddress() : undefined;
  if (!opts.dryRun && !opts.authority) throw new WaymarkError('WAYMARK_ERR_USAGE', 'reporting needs the authority key (or a dry run)');
  const why = await windowRefusal(reader, w, await reportContext(reader), signer);
  if (why) throw why;
  return { planned: w, reported: opts.dryRun ? null : await sendWindow(opts.authority!, w) };
}
