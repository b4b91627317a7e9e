/**
 * Replays a btsnoop HCI capture (btmon -w, Android's HCI snoop log, `waymark demo
 * --capture`) through the sightings pipeline as fast as it can, with the capture's own
 * timestamps, and summarizes it like the demo does. The reports are read by the scanner's own
 * parser (hci/parser.ts `readAdvertisingReports`), so visits are linked as on the kiosk.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { WaymarkError } from '../core/errors.js';
import type { KioskConfig } from '../core/config.js';
import type { AdvertisingReport } from '../core/ports.js';
import { readBtsnoop } from './radio/hci/btsnoop.js';
import { readAdvertisingReports } from './radio/hci/parser.js';
import { openDatabase } from './store/database.js';
import { SightingsStore } from './store/sightings-store.js';
import { SightingsPipeline } from './sightings/pipeline.js';
import type { SessionRecord } from './sightings/sessions.js';
import type { VisitRecord } from './sightings/visits.js';

export interface SightingsSummary {
  radio: string;
  reports: number;
  dropped: { malformed: number; rssi: number };
  addresses: number;
  sessions: number;
  occupancyPeak: number;
  simulatedSeconds: number;
  /** Visitors' visits closed (each device once across its address rotations). */
  visits?: number;
  /** Their median dwell, seconds (null without any). */
  visitDwellMedianS?: number | null;
  [extra: string]: unknown;
}

export interface ReplayOptions {
  config: KioskConfig;
  /** Called with every session as it closes. */
  onSessionClosed?: (session: SessionRecord) => void;
  /** Called with every visitor's visit as it closes (passers-by and fixed devices are not visits). */
  onVisitClosed?: (visit: VisitRecord) => void;
  /** SQLite path for the replay's store; default in memory. */
  storePath?: string;
}

export async function replayCapture(
  path: string, opts: ReplayOptions,
): Promise<SightingsSummary & { visits: number; visitDwellMedianS: number | null; capture: unknown }> {
  const db = openDatabase(opts.storePath ?? ':memory:');
  try {
    // a kept store takes a capture once: a second replay of it would add its sessions again
    const replayedKey = opts.storePath ? `replayed:${await fileSha256(path)}` : undefined;
    const earlier = replayedKey ? db.prepare('SELECT value FROM meta WHERE key = ?').get(replayedKey) as { value: string } | undefined : undefined;
    if (earlier) {
      throw new WaymarkError('WAYMARK_ERR_USAGE', `${path} was already replayed into ${opts.storePath} (${JSON.parse(earlier.value).at}); its sessions are there. Use another --data-dir`, { details: { field: 'data-dir' } });
    }
    const store = new SightingsStore(db);
    const s = opts.config.sightings;
    const pipeline = new SightingsPipeline({
      filter: s.filter, sessionGapS: s.sessionGapS, insideRssiDbm: s.insideRssiDbm, visitorKinds: s.visitorKinds,
      salts: store, firstSessionId: store.nextSessionId(), visits: s.visits,
    });
    const visitDwells: number[] = [];
    pipeline.onVisits((records) => {
      store.queueVisits(records);
      for (const v of records) {
        if (v.class !== 'visitor') continue;
        visitDwells.push(v.dwellMs);
        opts.onVisitClosed?.(v);
      }
    });
    let closedSessions = 0;
    pipeline.onSessions((records) => {
      store.queueSessions(records);
      for (const r of records) {
        if (!r.closed) continue;
        closedSessions++;
        opts.onSessionClosed?.(r);
      }
    });
    const capture = readBtsnoop(path);
    let malformed = 0;
    let first = NaN;
    let last = NaN;
    let nextTick = -Infinity;
    const reports: AdvertisingReport[] = [];
    const collect = (r: AdvertisingReport) => void reports.push(r);
    for await (const rec of capture) {
      if (rec.kind !== 'event' || rec.direction !== 'received') continue;
      const time = rec.timeMs;
      reports.length = 0;
      const unread = readAdvertisingReports(rec.bytes, time, collect);
      if (unread < 0) continue;
      malformed += unread;
      if (Number.isNaN(first)) first = time;
      last = time;
      if (time >= nextTick) {
        pipeline.tick(time);
        store.flush();
        nextTick = time + 1000;
      }
      for (const r of reports) pipeline.ingest(r);
    }
    pipeline.tick(Number.isNaN(last) ? 0 : last);
    pipeline.finish();
    store.flush();
    if (replayedKey) db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(replayedKey, JSON.stringify({ at: new Date().toISOString(), file: path }));
    const stats = pipeline.stats();
    return {
      radio: 'btsnoop-replay',
      reports: stats.reports,
      dropped: { malformed, rssi: stats.dropped.rssi },
      addresses: store.distinctAddressHashes(-Infinity),
      sessions: closedSessions,
      occupancyPeak: stats.occupancyPeak,
      simulatedSeconds: Number.isNaN(first) ? 0 : Math.round((last - first) / 1000),
      visits: visitDwells.length,
      visitDwellMedianS: median(visitDwells) === null ? null : Math.round(median(visitDwells)! / 1000),
      capture: { ...capture.stats, problems: capture.stats.problems.slice(0, 10) },
    };
  } finally {
    db.close();
  }
}

function fileSha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path).on('data', (chunk) => hash.update(chunk)).on('error', reject).on('end', () => resolve(hash.digest('hex')));
  });
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
