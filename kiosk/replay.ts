/**
 * Replays a btsnoop HCI capture (btmon -w, Android's HCI snoop log, `waymark demo
 * --capture`) through the sightings pipeline as fast as it can, with the capture's own
 * timestamps, and summarizes it like the demo does.
 */
import type { KioskConfig } from '../core/config.js';
import { addressKindOf, adStructuresProblem } from '../core/address.js';
import { readBtsnoop } from './radio/hci/btsnoop.js';
import { decodeAdvertisingReports } from './radio/hci/parser.js';
import { openDatabase } from './store/database.js';
import { SightingsStore } from './store/sightings-store.js';
import { SightingsPipeline } from './sightings/pipeline.js';
import type { SessionRecord } from './sightings/sessions.js';

export interface SightingsSummary {
  radio: string;
  reports: number;
  dropped: { malformed: number; rssi: number };
  addresses: number;
  sessions: number;
  occupancyPeak: number;
  simulatedSeconds: number;
  [extra: string]: unknown;
}

export interface ReplayOptions {
  config: KioskConfig;
  /** Called with every session as it closes. */
  onSessionClosed?: (session: SessionRecord) => void;
  /** SQLite path for the replay's store; default in memory. */
  storePath?: string;
}

export async function replayCapture(path: string, opts: ReplayOptions): Promise<SightingsSummary & { capture: unknown }> {
  const db = openDatabase(opts.storePath ?? ':memory:');
  try {
    const store = new SightingsStore(db);
    const s = opts.config.sightings;
    const pipeline = new SightingsPipeline({
      filter: s.filter, sessionGapS: s.sessionGapS, insideRssiDbm: s.insideRssiDbm, visitorKinds: s.visitorKinds,
      salts: store, firstSessionId: store.nextSessionId(),
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
    for await (const rec of capture) {
      if (rec.kind !== 'event' || rec.direction !== 'received') continue;
      const decoded = decodeAdvertisingReports(rec.bytes);
      if (decoded === null) continue;
      malformed += decoded.malformed;
      const time = rec.timeMs;
      if (Number.isNaN(first)) first = time;
      last = time;
      if (time >= nextTick) {
        pipeline.tick(time);
        store.flush();
        nextTick = time + 1000;
      }
      for (const r of decoded.reports) {
        if (adStructuresProblem(r.data) !== null) {
          malformed++;
          continue;
        }
        pipeline.ingestRaw(r.address, addressKindOf(r.address, r.addressType), r.rssi, time);
      }
    }
    pipeline.tick(Number.isNaN(last) ? 0 : last);
    pipeline.finish();
    store.flush();
    const stats = pipeline.stats();
    return {
      radio: 'btsnoop-replay',
      reports: stats.reports,
      dropped: { malformed, rssi: stats.dropped.rssi },
      addresses: store.distinctAddressHashes(-Infinity),
      sessions: closedSessions,
      occupancyPeak: stats.occupancyPeak,
      simulatedSeconds: Number.isNaN(first) ? 0 : Math.round((last - first) / 1000),
      capture: { ...capture.stats, problems: capture.stats.problems.slice(0, 10) },
    };
  } finally {
    db.close();
  }
}
