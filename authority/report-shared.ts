/**
 * `waymark authority report --shared`: from the file a diagnosed visitor gave the health
 * authority (plain, or sealed to the authority's key) to exposure reports on chain. Every
 * record is verified first; the verified ones are reported, one window per venue and visit,
 * and the refused ones are listed with their reason.
 */
import { WaymarkError } from '../core/errors.js';
import { SEALED_SHARE_FORMAT, parseShareDocument, unsealShare, type SharedCheckins } from '../beacon/visitor/share.js';
import type { RegistryClient } from '../contracts/client.js';
import { cachedAnchorReader, verifySharedRecords, type AnchorReader, type RefusedSharedRecord, type VerifiedSharedRecord } from './shared-records.js';
import { reportStays, type ExposureWindow, type ReportRun, type SentReport } from './exposure-report.js';

/**
 * Reads a shared document; a sealed one needs the authority's secret key (0x hex).
 * WAYMARK_ERR_SHARE_INVALID when it is not a share or does not open with that key.
 */
export async function openShare(text: string, secretKey?: string): Promise<{ share: SharedCheckins; sealed: boolean }> {
  const doc = parseShareDocument(text);
  if (doc.format !== SEALED_SHARE_FORMAT) return { share: doc, sealed: false };
  if (!secretKey) throw new WaymarkError('WAYMARK_ERR_USAGE', 'the share is sealed to the health authority: pass --authority-secret-file with the key it was sealed to');
  return { share: await unsealShare(doc, secretKey), sealed: true };
}

export interface SharedReportResult {
  /** Records that passed every check (their window included), with their stays. */
  verified: VerifiedSharedRecord[];
  reported: SentReport[];
  /** The windows checked and (unless a dry run) sent. */
  planned: ExposureWindow[];
  refused: RefusedSharedRecord[];
  failed: ReportRun['failed'];
  duplicates: number;
}

export interface ReportSharedOptions {
  chainId: number;
  /** Signs the reports (a region authority above the venues); optional in a dry run. */
  authority?: RegistryClient;
  dryRun?: boolean;
  /** Stay assumed without a check-out, seconds (default 3600). */
  defaultStayS?: number;
  /** Chain reads, cached; default one on `reader`. */
  anchors?: AnchorReader;
}

export async function reportSharedCheckins(reader: RegistryClient, share: SharedCheckins, opts: ReportSharedOptions): Promise<SharedReportResult> {
  const anchors = opts.anchors ?? cachedAnchorReader(reader);
  const v = await verifySharedRecords(share, anchors, { chainId: opts.chainId, registry: reader.registry, defaultStayS: opts.defaultStayS });
  const run = await reportStays(reader, v.verified, { authority: opts.authority, dryRun: opts.dryRun });
  const refused = [...v.refused, ...run.refused].sort((a, b) => a.record - b.record);
  const refusedAt = new Set(refused.map((r) => r.record));
  return { verified: v.verified.filter((r) => !refusedAt.has(r.record)), reported: run.reported, planned: run.planned, refused, failed: run.failed, duplicates: v.duplicates };
}
