/** Shared set-up of the batcher unit suites: a real SQLite store with closed sessions in it. */
import { join } from 'node:path';
import { openDatabase, type Database } from '../../../kiosk/store/database.js';
import { SightingsStore } from '../../../kiosk/store/sightings-store.js';
import type { SessionRecord } from '../../../kiosk/sightings/sessions.js';

export const T0 = Date.UTC(2026, 4, 1, 12);

export function session(id: number, lastSeen: number, over: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id, addressHash: id.toString(16).padStart(32, '0'), kind: 'resolvable', firstSeen: lastSeen - 60_000, lastSeen,
    dwellMs: 60_000, samples: 40, rssiMin: -80.25, rssiMean: -70.5, rssiMax: -61, rssiLast: -65, closed: true, ...over,
  };
}

export function openStore(t: { testdir: (c?: any) => string; teardown: (f: () => void) => void }): { db: Database; sightings: SightingsStore; path: string } {
  const path = join(t.testdir({}), 'waymark.db');
  const db = openDatabase(path);
  t.teardown(() => db.close());
  return { db, sightings: new SightingsStore(db), path };
}

export function addSessions(sightings: SightingsStore, sessions: SessionRecord[]): void {
  sightings.queueSessions(sessions);
  sightings.flush();
}
