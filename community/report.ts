/**
 * Anonymous community reports: an occupancy/crowding report a kiosk of one region signs with a
 * linkable ring signature over its community's keys, so the region authority learns "a kiosk
 * of region X reports this" but not which, and a second report by the same kiosk in the same
 * epoch links to the first. Format and hashing: docs/PROTOCOL.md "Community reports".
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { WaymarkError } from '../core/errors.js';
import { ringSign, ringVerify, type RingSignature } from './lsag.js';

export const COMMUNITY_REPORT_VERSION = 1;
/** Epochs are this many seconds long: a kiosk reports at most once an hour. */
export const COMMUNITY_EPOCH_S = 3600;
export const CROWDING_LEVELS = ['low', 'moderate', 'high', 'full'] as const;
export type CrowdingLevel = (typeof CROWDING_LEVELS)[number];

export interface CommunityReportBody {
  version: 1;
  /** The community: a geohash prefix (1-9 characters) with a region authority. */
  region: string;
  /** floor(time / COMMUNITY_EPOCH_S): what reports link under. */
  epoch: number;
  /** Unix seconds. */
  time: number;
  /** People inside (the kiosk's count). */
  occupancy: number;
  crowding: CrowdingLevel;
}

/** On the wire (JSON): the body, the ring (compressed keys, sorted, 0x hex) and the signature in hex. */
export interface CommunityReport extends CommunityReportBody {
  ring: string[];
  signature: { c0: string; s: string[]; keyImage: string };
}

const enc = new TextEncoder();
const GEOHASH = /^[0123456789bcdefghjkmnpqrstuvwxyz]{1,9}$/;
const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');
const unhex = (s: unknown, what: string, length?: number): Uint8Array => {
  if (typeof s !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(s)) throw new WaymarkError('WAYMARK_ERR_RING_SIGNATURE_INVALID', `${what} is not 0x hex`);
  const b = Uint8Array.from(Buffer.from(s.slice(2), 'hex'));
  if (length !== undefined && b.length !== length) throw new WaymarkError('WAYMARK_ERR_RING_SIGNATURE_INVALID', `${what} must be ${length} bytes`);
  return b;
};

export function assertReportBody(body: CommunityReportBody): void {
  const bad = (why: string): never => {
    throw new WaymarkError('WAYMARK_ERR_BAD_REQUEST', `community report: ${why}`);
  };
  if (body.version !== COMMUNITY_REPORT_VERSION) bad(`version must be ${COMMUNITY_REPORT_VERSION}`);
  if (typeof body.region !== 'string' || !GEOHASH.test(body.region)) bad('region must be a geohash prefix of 1-9 characters');
  if (!Number.isSafeInteger(body.time) || body.time < 0) bad('time must be Unix seconds');
  if (body.epoch !== Math.floor(body.time / COMMUNITY_EPOCH_S)) bad(`epoch must be floor(time / ${COMMUNITY_EPOCH_S})`);
  if (!Number.isSafeInteger(body.occupancy) || body.occupancy < 0 || body.occupancy > 1_000_000) bad('occupancy must be a count');
  if (!(CROWDING_LEVELS as readonly string[]).includes(body.crowding)) bad(`crowding must be one of ${CROWDING_LEVELS.join(', ')}`);
}

/** The bytes signed: "waymark/community-report/v1" \n region \n epoch \n time \n occupancy \n crowding. */
export function reportMessage(body: CommunityReportBody): Uint8Array {
  return enc.encode(['waymark/community-report/v1', body.region, body.epoch, body.time, body.occupancy, body.crowding].join('\n'));
}

/** What reports link under: SHA-256("waymark/community-epoch/v1" \n epoch \n region). */
export function reportLinkTag(epoch: number, region: string): Uint8Array {
  return sha256(enc.encode(`waymark/community-epoch/v1\n${epoch}\n${region}`));
}

/** Rings are sorted (byte order of the compressed keys), so the order says nothing about the signer. */
export function sortRing(ring: readonly Uint8Array[]): Uint8Array[] {
  return [...ring].sort((a, b) => Buffer.compare(a, b));
}

export function signCommunityReport(params: {
  body: Omit<CommunityReportBody, 'version' | 'epoch'> & { version?: 1 };
  ring: readonly Uint8Array[];
  secretKey: Uint8Array;
  random?: (length: number) => Uint8Array;
}): CommunityReport {
  const body: CommunityReportBody = { ...params.body, version: 1, epoch: Math.floor(params.body.time / COMMUNITY_EPOCH_S) };
  assertReportBody(body);
  const ring = sortRing(params.ring);
  const sig = ringSign({ ring, secretKey: params.secretKey, message: reportMessage(body), linkTag: reportLinkTag(body.epoch, body.region), random: params.random });
  return {
    version: 1, region: body.region, epoch: body.epoch, time: body.time, occupancy: body.occupancy, crowding: body.crowding,
    ring: ring.map(hex),
    signature: { c0: hex(sig.c0), s: sig.s.map(hex), keyImage: hex(sig.keyImage) },
  };
}

export interface VerifiedCommunityReport {
  body: CommunityReportBody;
  ring: Uint8Array[];
  keyImage: string;
}

/** Checks the body and the ring signature; the ring's membership is the caller's (community/ring.ts). */
export function verifyCommunityReport(report: CommunityReport): VerifiedCommunityReport {
  if (!report || typeof report !== 'object') throw new WaymarkError('WAYMARK_ERR_BAD_REQUEST', 'community report: not an object');
  const body: CommunityReportBody = {
    version: report.version, region: report.region, epoch: report.epoch, time: report.time, occupancy: report.occupancy, crowding: report.crowding,
  };
  assertReportBody(body);
  if (!Array.isArray(report.ring)) throw new WaymarkError('WAYMARK_ERR_RING_SIGNATURE_INVALID', 'ring must be a list of keys');
  const ring = report.ring.map((k, i) => unhex(k, `ring[${i}]`, 33));
  const sorted = sortRing(ring);
  if (sorted.some((k, i) => Buffer.compare(k, ring[i]!) !== 0)) throw new WaymarkError('WAYMARK_ERR_RING_SIGNATURE_INVALID', 'ring must be sorted');
  const s = report.signature;
  if (!s || !Array.isArray(s.s)) throw new WaymarkError('WAYMARK_ERR_RING_SIGNATURE_INVALID', 'signature must have c0, s and keyImage');
  const signature: RingSignature = { c0: unhex(s.c0, 'c0', 32), s: s.s.map((x, i) => unhex(x, `s[${i}]`, 32)), keyImage: unhex(s.keyImage, 'keyImage', 33) };
  ringVerify({ ring, message: reportMessage(body), linkTag: reportLinkTag(body.epoch, body.region), signature });
  return { body, ring, keyImage: s.keyImage.toLowerCase() };
}

export interface CommunityReportVerdict {
  index: number;
  ok: boolean;
  /** The refusal's code: WAYMARK_ERR_RING_SIGNATURE_INVALID, _RING_DOUBLE_REPORT, _COMMUNITY_RING_INVALID, _BAD_REQUEST. */
  code?: string;
  message?: string;
  /** For a double report: the index of the earlier report it links to. */
  linkedTo?: number;
  report?: VerifiedCommunityReport;
}

/**
 * Verifies a file's reports in order: each must verify, be for `region`, have a ring the
 * `acceptRing` check accepts, and not link (same epoch, same key image) to an earlier accepted one.
 */
export function verifyCommunityReports(reports: readonly CommunityReport[], opts: { region: string; acceptRing: (ring: Uint8Array[]) => void }): CommunityReportVerdict[] {
  const seen = new Map<string, number>();
  return reports.map((report, index) => {
    try {
      const verified = verifyCommunityReport(report);
      if (verified.body.region !== opts.region) throw new WaymarkError('WAYMARK_ERR_COMMUNITY_RING_INVALID', `report is for region ${verified.body.region}, not ${opts.region}`);
      opts.acceptRing(verified.ring);
      const link = `${verified.body.epoch}:${verified.keyImage}`;
      const earlier = seen.get(link);
      if (earlier !== undefined) {
        return { index, ok: false, code: 'WAYMARK_ERR_RING_DOUBLE_REPORT', message: `the same kiosk reported in epoch ${verified.body.epoch} already (report ${earlier})`, linkedTo: earlier };
      }
      seen.set(link, index);
      return { index, ok: true, report: verified };
    } catch (err) {
      if (!(err instanceof WaymarkError)) throw err;
      return { index, ok: false, code: err.code, message: err.message };
    }
  });
}
