/**
 * The region authority's collector of anonymous community reports: kiosks POST their signed
 * reports (kiosk/community-reporter.ts) to `/v1/community-reports`; each one whose ring
 * signature verifies, whose region is the collector's, and whose key image is new for its
 * epoch is appended to a JSON-lines file (fsynced before the answer), which
 * `waymark authority community-reports --file` then checks against the registry (that every
 * ring key is a kiosk of the region). A second report of one kiosk in one epoch links to the
 * first by its key image and is refused with 409.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { ERRORS, WaymarkError, type ErrorCode } from '../core/errors.js';
import { verifyCommunityReport, type CommunityReport } from './report.js';

export interface CommunityCollectorOptions {
  /** The JSON-lines file reports are appended to (created if missing, read back at start). */
  file: string;
  /** Accept only reports for this community (a geohash prefix); any region if unset. */
  region?: string;
  /** Largest request body, bytes (default 1 MiB: a ring of about 7,000 keys). */
  bodyLimit?: number;
}

export interface CommunityCollector {
  readonly app: FastifyInstance;
  /** Reports accepted since start, and held in the file in all. */
  stats(): { accepted: number; refused: Partial<Record<ErrorCode, number>>; inFile: number };
}

/** Every report of a JSON-lines file (blank lines skipped); a bad line is a WAYMARK_ERR_FILE_FORMAT naming it. */
export function readReportLines(text: string, file: string): CommunityReport[] {
  const out: CommunityReport[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      out.push(JSON.parse(line) as CommunityReport);
    } catch (err) {
      throw new WaymarkError('WAYMARK_ERR_FILE_FORMAT', `${file} line ${i + 1}: ${(err as Error).message}`);
    }
  });
  return out;
}

export function buildCommunityCollector(opts: CommunityCollectorOptions): CommunityCollector {
  const seen = new Set<string>();
  const link = (epoch: number, region: string, keyImage: string) => `${epoch}:${region}:${keyImage}`;
  let inFile = 0;
  if (existsSync(opts.file)) {
    for (const r of readReportLines(readFileSync(opts.file, 'utf8'), opts.file)) {
      seen.add(link(r.epoch, r.region, String(r.signature?.keyImage).toLowerCase()));
      inFile++;
    }
  }
  let accepted = 0;
  const refused: Partial<Record<ErrorCode, number>> = {};
  const app = Fastify({ bodyLimit: opts.bodyLimit ?? 1024 * 1024, logger: false });
  const fail = (code: ErrorCode, message: string) => {
    refused[code] = (refused[code] ?? 0) + 1;
    return { status: ERRORS[code].status, body: { error: { code, message } } };
  };
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const code: ErrorCode = err.statusCode === 413 ? 'WAYMARK_ERR_PAYLOAD_TOO_LARGE' : (err.statusCode ?? 500) < 500 ? 'WAYMARK_ERR_BAD_REQUEST' : 'WAYMARK_ERR_INTERNAL';
    const f = fail(code, err.message);
    void reply.code(f.status).send(f.body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: 'WAYMARK_ERR_NOT_FOUND', message: `${req.method} ${req.url}` } });
  });

  app.post('/v1/community-reports', async (req, reply) => {
    let verified;
    try {
      verified = verifyCommunityReport(req.body as CommunityReport);
    } catch (err) {
      if (!(err instanceof WaymarkError)) throw err;
      const f = fail(err.code, err.message);
      return reply.code(f.status).send(f.body);
    }
    const { body, keyImage } = verified;
    if (opts.region !== undefined && body.region !== opts.region) {
      const f = fail('WAYMARK_ERR_COMMUNITY_RING_INVALID', `this collector takes reports of region ${opts.region}, not ${body.region}`);
      return reply.code(f.status).send(f.body);
    }
    const key = link(body.epoch, body.region, keyImage);
    if (seen.has(key)) {
      const f = fail('WAYMARK_ERR_RING_DOUBLE_REPORT', `a kiosk of ${body.region} already reported in epoch ${body.epoch} with key image ${keyImage}`);
      return reply.code(f.status).send(f.body);
    }
    const report = req.body as CommunityReport;
    const line = JSON.stringify({ version: report.version, region: report.region, epoch: report.epoch, time: report.time, occupancy: report.occupancy, crowding: report.crowding, ring: report.ring, signature: report.signature }) + '\n';
    const fd = openSync(opts.file, 'a', 0o600);
    try {
      writeSync(fd, line);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    seen.add(key);
    accepted++;
    inFile++;
    return reply.code(201).send({ accepted: true, region: body.region, epoch: body.epoch, keyImage, ringSize: verified.ring.length });
  });

  return { app, stats: () => ({ accepted, refused: { ...refused }, inFile }) };
}
