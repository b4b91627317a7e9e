/**
 * Durable storage of the sightings pipeline: per-day salts, dwell sessions, visits and
 * occupancy samples. Writes are queued and committed together by `flush()` (the kiosk
 * calls it about once a second), so steady state costs one transaction per interval.
 */
import { randomBytes } from 'node:crypto';
import { DAY_MS, utcDay } from '../../core/clock.js';
import { batchedTransaction, type Database } from './database.js';
import type { SaltSource } from '../sightings/address-hash.js';
import type { SessionRecord } from '../sightings/sessions.js';
import type { VisitRecord } from '../sightings/visits.js';

export interface OccupancySample {
  t: number;
  inside: number;
  openSessions: number;
  /** Visitors' devices inside, each once whatever addresses it used; null with visits off. */
  visits?: number | null;
}

export interface RetentionResult {
  saltsDestroyed: number;
  sessionsDeleted: number;
  occupancyDeleted: number;
  /** Present when visits were deleted. */
  visitsDeleted?: number;
}

/** Visitors seen in one hour: their visits overlap it. */
export interface HourlyVisitors {
  /** Start of the hour, ms since the epoch (UTC). */
  hour: number;
  visitors: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Hours `visitorsByHour` answers for at most (31 days). */
const MAX_HOURS = 24 * 31;

/** Upper bounds (minutes) of the dwell histogram's buckets; the last is open-ended. */
export const DWELL_BUCKETS_MIN = [1, 5, 15, 30, 60, 120] as const;

export class SightingsStore implements SaltSource {
  readonly #db: Database;
  readonly #salts = new Map<number, Uint8Array>();
  #sessionQueue = new Map<number, SessionRecord>();
  #occupancyQueue: OccupancySample[] = [];
  #visitQueue: VisitRecord[] = [];
  readonly #upsertSession;
  readonly #insertOccupancy;
  readonly #insertVisit;
  readonly #insertSalt;
  readonly #selectSalt;
  /** Days older than this are refused salts (they were shredded). */
  #oldestDay = -Infinity;
  flushes = 0;

  constructor(db: Database) {
    this.#db = db;
    this.#upsertSession = db.prepare(`
      INSERT INTO sessions (id, address_hash, kind, first_seen, last_seen, samples, rssi_min, rssi_mean, rssi_max, rssi_last, closed)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET last_seen = excluded.last_seen, samples = excluded.samples,
        rssi_min = excluded.rssi_min, rssi_mean = excluded.rssi_mean, rssi_max = excluded.rssi_max,
        rssi_last = excluded.rssi_last, closed = excluded.closed`);
    this.#insertOccupancy = db.prepare('INSERT OR REPLACE INTO occupancy (t, inside, open_sessions, visits) VALUES (?, ?, ?, ?)');
    this.#insertVisit = db.prepare('INSERT INTO visits (first_seen, last_seen, dwell_s, addresses, class) VALUES (?, ?, ?, ?, ?)');
    this.#insertSalt = db.prepare('INSERT INTO salts (day, salt) VALUES (?, ?) ON CONFLICT(day) DO NOTHING');
    this.#selectSalt = db.prepare('SELECT salt FROM salts WHERE day = ?');
    for (const row of db.prepare('SELECT day, salt FROM salts').all() as { day: number; salt: Buffer }[]) {
      this.#salts.set(row.day, new Uint8Array(row.salt));
    }
  }

  /** Sessions left open by a previous run that stopped without closing them. */
  closeInterrupted(): number {
    return this.#db.prepare('UPDATE sessions SET closed = 1 WHERE closed = 0').run().changes;
  }

  nextSessionId(): number {
    const row = this.#db.prepare('SELECT MAX(id) AS id FROM sessions').get() as { id: number | null };
    return (row.id ?? 0) + 1;
  }

  saltFor(day: number): Uint8Array {
    const cached = this.#salts.get(day);
    if (cached) return cached;
    if (day < this.#oldestDay) {
      throw new RangeError(`day ${day} is past the retention period; its salt was destroyed`);
    }
    // Persist at once (outside the batch): a hash must stay reproducible after a restart.
    // Another connection to the same file may have made the day's salt first: keep theirs.
    this.#insertSalt.run(day, randomBytes(32));
    const row = this.#selectSalt.get(day) as { salt: Buffer };
    const salt = new Uint8Array(row.salt);
    this.#salts.set(day, salt);
    return salt;
  }

  queueSessions(records: Iterable<SessionRecord>): void {
    for (const r of records) this.#sessionQueue.set(r.id, r);
  }

  queueOccupancy(sample: OccupancySample): void {
    this.#occupancyQueue.push(sample);
  }

  /** Closed visits; stored without addresses or hashes, their times coarsened to the minute. */
  queueVisits(records: Iterable<VisitRecord>): void {
    for (const r of records) this.#visitQueue.push(r);
  }

  get pendingWrites(): number {
    return this.#sessionQueue.size + this.#occupancyQueue.length + this.#visitQueue.length;
  }

  /** Commit everything queued in one transaction. Returns the rows written. */
  flush(): number {
    const sessions = this.#sessionQueue;
    const occupancy = this.#occupancyQueue;
    const visits = this.#visitQueue;
    if (sessions.size === 0 && occupancy.length === 0 && visits.length === 0) return 0;
    this.#sessionQueue = new Map();
    this.#occupancyQueue = [];
    this.#visitQueue = [];
    try {
      // batched for SD-card wear: no fsync at commit (see database.ts)
      batchedTransaction(this.#db, () => {
        for (const r of sessions.values()) {
          this.#upsertSession.run(r.id, r.addressHash, r.kind, r.firstSeen, r.lastSeen, r.samples, r.rssiMin, r.rssiMean, r.rssiMax, r.rssiLast, r.closed ? 1 : 0);
        }
        for (const o of occupancy) this.#insertOccupancy.run(o.t, o.inside, o.openSessions, o.visits ?? null);
        for (const v of visits) {
          this.#insertVisit.run(Math.floor(v.firstSeen / MINUTE_MS) * MINUTE_MS, Math.ceil(v.lastSeen / MINUTE_MS) * MINUTE_MS,
            Math.round(v.dwellMs / 1000), v.addresses, v.class);
        }
      });
    } catch (err) {
      // Keep what failed so the next flush retries it; nothing is dropped.
      for (const [id, r] of sessions) if (!this.#sessionQueue.has(id)) this.#sessionQueue.set(id, r);
      this.#occupancyQueue = occupancy.concat(this.#occupancyQueue);
      this.#visitQueue = visits.concat(this.#visitQueue);
      throw err;
    }
    this.flushes++;
    return sessions.size + occupancy.length + visits.length;
  }

  /**
   * Enforce retention at `now`: destroy salts of days entirely older than the period,
   * then delete sessions and occupancy samples older than it.
   */
  applyRetention(now: number, retentionDays: number): RetentionResult {
    const cutoff = now - retentionDays * DAY_MS;
    // A day's salt goes once the whole day is past the cutoff.
    const firstKeptDay = utcDay(cutoff);
    this.#oldestDay = firstKeptDay;
    const result = this.#db.transaction((): RetentionResult => {
      const r: RetentionResult = {
        saltsDestroyed: this.#db.prepare('DELETE FROM salts WHERE day < ?').run(firstKeptDay).changes,
        sessionsDeleted: this.#db.prepare('DELETE FROM sessions WHERE last_seen < ?').run(cutoff).changes,
        occupancyDeleted: this.#db.prepare('DELETE FROM occupancy WHERE t < ?').run(cutoff).changes,
      };
      const visitsDeleted = this.#db.prepare('DELETE FROM visits WHERE last_seen < ?').run(cutoff).changes;
      if (visitsDeleted > 0) r.visitsDeleted = visitsDeleted;
      return r;
    })();
    for (const day of [...this.#salts.keys()]) {
      if (day < firstKeptDay) {
        this.#salts.get(day)!.fill(0);
        this.#salts.delete(day);
      }
    }
    // Move freed pages' bytes out of the WAL into the (secure-deleted) main file.
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
    return result;
  }

  counts(): { sessions: number; closedSessions: number; salts: number; occupancySamples: number } {
    const row = this.#db.prepare(`SELECT
      (SELECT COUNT(*) FROM sessions) AS sessions,
      (SELECT COUNT(*) FROM sessions WHERE closed = 1) AS closedSessions,
      (SELECT COUNT(*) FROM salts) AS salts,
      (SELECT COUNT(*) FROM occupancy) AS occupancySamples`).get() as Record<string, number>;
    return row as { sessions: number; closedSessions: number; salts: number; occupancySamples: number };
  }

  occupancySeries(fromMs: number, toMs: number, limit = 1440): OccupancySample[] {
    return this.#db.prepare(`SELECT t, inside, open_sessions AS openSessions, visits FROM occupancy
      WHERE t >= ? AND t <= ? ORDER BY t DESC LIMIT ?`).all(fromMs, toMs, limit).reverse() as OccupancySample[];
  }

  /** Counts of closed sessions of the given kinds by dwell bucket. */
  dwellHistogram(fromMs: number, toMs: number, kinds: readonly string[]): { le: number | null; count: number }[] {
    const placeholders = kinds.map(() => '?').join(',');
    const rows = this.#db.prepare(`SELECT (last_seen - first_seen) / 60000.0 AS minutes FROM sessions
      WHERE closed = 1 AND first_seen >= ? AND first_seen <= ? AND kind IN (${placeholders})`)
      .all(fromMs, toMs, ...kinds) as { minutes: number }[];
    return dwellBuckets(rows.map((r) => r.minutes));
  }

  /** Counts of visitors' closed visits starting in the window, by dwell bucket, plus `extra` dwells (open visits), minutes. */
  visitDwellHistogram(fromMs: number, toMs: number, extraMinutes: readonly number[] = []): { le: number | null; count: number }[] {
    const rows = this.#db.prepare(`SELECT dwell_s / 60.0 AS minutes FROM visits
      WHERE class = 'visitor' AND first_seen >= ? AND first_seen <= ?`).all(floorMinute(fromMs), toMs) as { minutes: number }[];
    return dwellBuckets(rows.map((r) => r.minutes).concat(extraMinutes));
  }

  /**
   * Visitors per UTC hour of the window: stored visitor visits overlapping the hour, plus the
   * `open` visits (in progress) given, each counted once per hour it touches.
   */
  visitorsByHour(fromMs: number, toMs: number, open: readonly { firstSeen: number; lastSeen: number }[] = []): HourlyVisitors[] {
    // at most the last MAX_HOURS hours of a longer window
    const first = Math.floor(Math.max(fromMs, toMs - (MAX_HOURS - 1) * HOUR_MS) / HOUR_MS) * HOUR_MS;
    const hours = Math.max(0, Math.floor((toMs - first) / HOUR_MS) + 1);
    const counts = new Array<number>(hours).fill(0);
    const rows = this.#db.prepare(`SELECT first_seen AS firstSeen, last_seen AS lastSeen FROM visits
      WHERE class = 'visitor' AND last_seen >= ? AND first_seen <= ?`).all(first, toMs) as { firstSeen: number; lastSeen: number }[];
    for (const v of rows.concat(open)) {
      const a = Math.max(0, Math.floor((v.firstSeen - first) / HOUR_MS));
      const b = Math.min(hours - 1, Math.floor((Math.max(v.lastSeen - 1, v.firstSeen) - first) / HOUR_MS));
      for (let h = a; h <= b; h++) counts[h]!++;
    }
    return counts.map((visitors, i) => ({ hour: first + i * HOUR_MS, visitors }));
  }

  /** Stored visitor visits that overlap [fromMs, toMs]. */
  visitorsBetween(fromMs: number, toMs: number): number {
    return (this.#db.prepare(`SELECT COUNT(*) AS n FROM visits WHERE class = 'visitor' AND last_seen >= ? AND first_seen <= ?`)
      .get(fromMs, toMs) as { n: number }).n;
  }

  distinctAddressHashes(sinceMs: number): number {
    return (this.#db.prepare('SELECT COUNT(DISTINCT address_hash) AS n FROM sessions WHERE first_seen >= ?').get(sinceMs) as { n: number }).n;
  }

  /** Closed sessions not yet in a batch, oldest (by last seen) first: the batcher's records. */
  unbatchedSessions(limit: number): SessionRecord[] {
    return (this.#db.prepare(`SELECT id, address_hash AS addressHash, kind, first_seen AS firstSeen, last_seen AS lastSeen,
      last_seen - first_seen AS dwellMs, samples, rssi_min AS rssiMin, rssi_mean AS rssiMean, rssi_max AS rssiMax,
      rssi_last AS rssiLast FROM sessions WHERE closed = 1 AND batch_seq IS NULL ORDER BY last_seen, id LIMIT ?`).all(limit) as any[])
      .map((r) => ({ ...r, closed: true }));
  }

  /** How many closed sessions wait for a batch, and the last-seen time of the oldest. */
  unbatchedSessionStats(): { count: number; oldestLastSeen: number | null } {
    const row = this.#db.prepare(`SELECT COUNT(*) AS count, MIN(last_seen) AS oldest FROM sessions
      WHERE closed = 1 AND batch_seq IS NULL`).get() as { count: number; oldest: number | null };
    return { count: row.count, oldestLastSeen: row.oldest };
  }

  /** Records the batch the sessions went into (the batcher calls it inside the batch's transaction). */
  markSessionsBatched(ids: readonly number[], seq: number): void {
    const mark = this.#db.prepare('UPDATE sessions SET batch_seq = ? WHERE id = ? AND closed = 1 AND batch_seq IS NULL');
    for (const id of ids) {
      if (mark.run(seq, id).changes !== 1) throw new Error(`session ${id} is not a closed, unbatched session`);
    }
  }

  recentSessions(limit: number): SessionRecord[] {
    return (this.#db.prepare(`SELECT id, address_hash AS addressHash, kind, first_seen AS firstSeen, last_seen AS lastSeen,
      last_seen - first_seen AS dwellMs, samples, rssi_min AS rssiMin, rssi_mean AS rssiMean, rssi_max AS rssiMax,
      rssi_last AS rssiLast, closed FROM sessions ORDER BY id DESC LIMIT ?`).all(limit) as any[])
      .map((r) => ({ ...r, closed: r.closed === 1 }));
  }
}

function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

function dwellBuckets(minutes: readonly number[]): { le: number | null; count: number }[] {
  const counts = new Array<number>(DWELL_BUCKETS_MIN.length + 1).fill(0);
  for (const m of minutes) {
    let i = DWELL_BUCKETS_MIN.findIndex((le) => m <= le);
    if (i < 0) i = DWELL_BUCKETS_MIN.length;
    counts[i]!++;
  }
  return counts.map((count, i) => ({ le: DWELL_BUCKETS_MIN[i] ?? null, count }));
}
