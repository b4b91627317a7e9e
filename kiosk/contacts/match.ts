/**
 * Contact matching at the kiosk: when were the published addresses of a diagnosed visitor
 * here, and how many other devices were here with them. Each address is hashed with the
 * day salts the store still holds (the one hashing of kiosk/sightings/address-hash.ts), the
 * matching sessions become windows (first/last seen, filtered RSSI), and the sessions that
 * overlapped each window are reduced to aggregates: a count, overlap durations and RSSI
 * statistics. Nothing of another device leaves but inside those aggregates: no hash, no
 * session id, no per-session list. HTTP-agnostic: `waymark contacts match` and POST /v1/contacts/match both call it.
 *
 * It only reads: a day whose salt was destroyed (past retention) cannot be matched, and is
 * listed; no salt is ever created here.
 */
import { DAY_MS, utcDay } from '../../core/clock.js';
import type { Database } from '../store/database.js';
import { AddressHasher } from '../sightings/address-hash.js';
import type { PublishedAddress } from './address-list.js';

export interface ContactMatchOptions {
  /** Address kinds whose sessions count as other devices. Default the sightings default: resolvable, non-resolvable. */
  kinds?: readonly string[];
  /** Windows closer than this make one visit (one authority report), seconds. Default 900. */
  mergeGapS?: number;
  /** The venue id for the printed `waymark authority report` command lines. */
  venueId?: number;
}

export const DEFAULT_CONTACT_KINDS = ['resolvable', 'non-resolvable'] as const;
export const DEFAULT_MERGE_GAP_S = 900;
/** A published range longer than this many days does not list its days without salt one by one. */
const MAX_LISTED_DAYS = 400;
/**
 * Sessions longer than this are found through the duration index; shorter ones by their first
 * sighting near the window. Rotating addresses give sessions of about one rotation period (15 min).
 */
const LONG_SESSION_MS = 30 * 60_000;

export interface Summary {
  min: number;
  median: number;
  max: number;
}

/** What the overlapping sessions add up to: aggregates only. */
export interface OverlapAggregate {
  /** Other sessions (devices, as far as address rotation lets us tell) present during the window(s). */
  sessions: number;
  /** Seconds each overlapped: the sum over sessions, and min / median / max (null when none). */
  overlapS: { total: number } & (Summary | { min: null; median: null; max: null });
  /** Sessions that overlapped at least 10 and at least 15 minutes (S2's and CDC's/S1's times). */
  sessionsAtLeast: { '10min': number; '15min': number };
  /** The overlapping sessions' mean filtered RSSI, dBm: min / median / max (null when none). */
  rssiMean: Summary | null;
}

export interface ContactWindow {
  /** The published address, as given (lowercase). */
  address: string;
  /** First and last seen, Unix seconds (first rounded down, last up). */
  from: number;
  to: number;
  /** The session's filtered RSSI, dBm. */
  rssiMean: number;
  rssiMin: number;
  rssiMax: number;
  samples: number;
  /** The session's record id in the kiosk's anchored batches (its Merkle proof: GET /v1/records/:id/proof). */
  record: string;
  overlapping: OverlapAggregate;
}

export interface ContactVisit {
  from: number;
  to: number;
  windows: number;
  /** The matching `waymark authority report` command line. */
  report: string;
}

export interface ContactMatchResult {
  windows: ContactWindow[];
  /** Over all windows together: each overlapping session counted once, its overlap with the union of the windows. */
  overlapping: OverlapAggregate;
  /** Windows merged into visits (gaps up to mergeGapS): one exposure report each. */
  visits: ContactVisit[];
  addresses: { published: number; matched: number };
  /** UTC dates searched, and dates asked for whose salt is gone (past retention) or never existed. */
  days: { searched: string[]; withoutSalt: string[] };
  kinds: string[];
}

interface SessionRow {
  id: number;
  address_hash: string;
  first_seen: number;
  last_seen: number;
  samples: number;
  rssi_min: number;
  rssi_mean: number;
  rssi_max: number;
}

type OtherRow = [id: number, firstSeen: number, lastSeen: number, rssiMean: number];

const isoDate = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

export function matchContacts(db: Database, published: readonly PublishedAddress[], opts: ContactMatchOptions = {}): ContactMatchResult {
  const kinds = [...(opts.kinds ?? DEFAULT_CONTACT_KINDS)];
  const kindsJson = JSON.stringify(kinds);
  const mergeGapMs = (opts.mergeGapS ?? DEFAULT_MERGE_GAP_S) * 1000;

  const salts = new Map<number, Uint8Array>();
  for (const row of db.prepare('SELECT day, salt FROM salts').all() as { day: number; salt: Buffer }[]) salts.set(row.day, new Uint8Array(row.salt));
  const saltDays = [...salts.keys()].sort((a, b) => a - b);

  // which days to hash each address for: its own range, else every day a salt is held for
  const byDay = new Map<number, PublishedAddress[]>();
  const withoutSalt = new Set<number>();
  for (const p of published) {
    let days = saltDays;
    if (p.from !== undefined) {
      const first = utcDay(p.from * 1000 - 60_000);
      const last = utcDay(p.to! * 1000);
      days = saltDays.filter((d) => d >= first && d <= last);
      // name the days asked for that have no salt (a range of years is not listed day by day)
      if (last - first <= MAX_LISTED_DAYS) for (let d = first; d <= last; d++) if (!salts.has(d)) withoutSalt.add(d);
    }
    for (const day of days) {
      let list = byDay.get(day);
      if (!list) byDay.set(day, (list = []));
      list.push(p);
    }
  }

  const hasher = new AddressHasher({ saltFor: (day) => salts.get(day)! });
  // by hash first (index sessions_address_hash, migration 005): a lookup per published address
  const sessionsOfDay = db.prepare(`SELECT id, address_hash, first_seen, last_seen, samples, rssi_min, rssi_mean, rssi_max FROM sessions
    WHERE address_hash IN (SELECT value FROM json_each(?)) AND first_seen >= ? AND first_seen < ?`);
  const found = new Map<number, { row: SessionRow; address: string }>();
  const matchedAddresses = new Set<string>();
  const searched = [...byDay.keys()].sort((a, b) => a - b);
  for (const day of searched) {
    // a session is hashed with the salt of the day it opened (kiosk/sightings/sessions.ts)
    const entries = new Map<string, PublishedAddress[]>();
    for (const p of byDay.get(day)!) {
      const hash = hasher.hash(p.address, day * DAY_MS);
      const list = entries.get(hash);
      if (list) list.push(p);
      else entries.set(hash, [p]);
    }
    const rows = sessionsOfDay.all(JSON.stringify([...entries.keys()]), day * DAY_MS, (day + 1) * DAY_MS) as SessionRow[];
    for (const row of rows) {
      const ps = entries.get(row.address_hash)!;
      // a published range limits the address to the sessions it overlaps
      const p = ps.find((e) => e.from === undefined || (row.last_seen >= e.from * 1000 && row.first_seen <= e.to! * 1000 + 999));
      if (!p || found.has(row.id)) continue;
      found.set(row.id, { row, address: p.address });
      matchedAddresses.add(p.address);
    }
  }

  const own = [...found.values()].sort((a, b) => a.row.first_seen - b.row.first_seen || a.row.id - b.row.id);
  const ownIds = new Set(found.keys());
  const union = mergeIntervals(own.map((o) => [o.row.first_seen, o.row.last_seen]), 0);
  const others = overlappingSessions(db, union, ownIds, kindsJson);

  const windows: ContactWindow[] = own.map(({ row, address }) => ({
    address,
    from: Math.floor(row.first_seen / 1000),
    to: Math.ceil(row.last_seen / 1000),
    rssiMean: row.rssi_mean,
    rssiMin: row.rssi_min,
    rssiMax: row.rssi_max,
    samples: row.samples,
    record: `s-${row.id}`,
    overlapping: aggregate(others, [[row.first_seen, row.last_seen]]),
  }));
  const visits = mergeIntervals(own.map((o) => [o.row.first_seen, o.row.last_seen]), mergeGapMs).map(([f, t]) => {
    const from = Math.floor(f / 1000);
    const to = Math.ceil(t / 1000);
    return {
      from, to,
      windows: own.filter((o) => o.row.first_seen >= f && o.row.last_seen <= t).length,
      report: authorityReportCommand(opts.venueId, from, to),
    };
  });
  return {
    windows,
    overlapping: aggregate(others, union),
    visits,
    addresses: { published: new Set(published.map((p) => p.address)).size, matched: matchedAddresses.size },
    days: { searched: searched.map(isoDate), withoutSalt: [...withoutSalt].sort((a, b) => a - b).map(isoDate) },
    kinds,
  };
}

/** The `waymark authority report` line for one visit (venue id a placeholder when unknown). */
export function authorityReportCommand(venueId: number | undefined, from: number, to: number): string {
  return `waymark authority report --venue ${venueId ?? '<VENUE_ID>'} --from ${from} --to ${to}`;
}

/**
 * The sessions of the given kinds (not the matched ones) that overlap any of the disjoint
 * intervals, each once: per interval, those that opened at most LONG_SESSION_MS before it
 * (index sessions_first_seen), then the longer ones (index sessions_duration).
 */
function overlappingSessions(db: Database, intervals: readonly (readonly [number, number])[], ownIds: ReadonlySet<number>, kindsJson: string): OtherRow[] {
  if (intervals.length === 0) return [];
  const near = db.prepare(`SELECT id, first_seen, last_seen, rssi_mean FROM sessions
    WHERE first_seen >= ? AND first_seen <= ? AND last_seen >= ? AND kind IN (SELECT value FROM json_each(?))`).raw();
  const out = new Map<number, OtherRow>();
  for (const [f, t] of intervals) {
    for (const r of near.all(f - LONG_SESSION_MS, t, f, kindsJson) as OtherRow[]) if (!ownIds.has(r[0])) out.set(r[0], r);
  }
  const long = db.prepare(`SELECT id, first_seen, last_seen, rssi_mean FROM sessions
    WHERE last_seen - first_seen > ? AND last_seen >= ? AND first_seen <= ? AND kind IN (SELECT value FROM json_each(?))`).raw();
  for (const r of long.all(LONG_SESSION_MS, intervals[0]![0], intervals[intervals.length - 1]![1], kindsJson) as OtherRow[]) {
    if (!ownIds.has(r[0]) && !out.has(r[0]) && intervals.some(([f, t]) => r[1] <= t && r[2] >= f)) out.set(r[0], r);
  }
  return [...out.values()];
}

/** The aggregates of the sessions that overlap the (disjoint, sorted) intervals. */
function aggregate(sessions: readonly OtherRow[], intervals: readonly (readonly [number, number])[]): OverlapAggregate {
  const seconds: number[] = [];
  const rssi: number[] = [];
  if (intervals.length === 0) sessions = [];
  const lo = intervals[0]?.[0] ?? 0;
  const hi = intervals[intervals.length - 1]?.[1] ?? 0;
  for (const o of sessions) {
    if (o[1] > hi || o[2] < lo) continue;
    let ms = -1;
    for (const [f, t] of intervals) {
      if (o[1] > t || o[2] < f) continue;
      ms = Math.max(ms, 0) + Math.min(o[2], t) - Math.max(o[1], f);
    }
    if (ms < 0) continue;
    seconds.push(ms / 1000);
    rssi.push(o[3]);
  }
  const s = summarize(seconds);
  let total = 0;
  let at10 = 0;
  let at15 = 0;
  for (const x of seconds) {
    total += x;
    if (x >= 600) at10++;
    if (x >= 900) at15++;
  }
  return {
    sessions: seconds.length,
    overlapS: { total: round1(total), ...(s ?? { min: null, median: null, max: null }) },
    sessionsAtLeast: { '10min': at10, '15min': at15 },
    rssiMean: summarize(rssi),
  };
}

function summarize(values: number[]): Summary | null {
  if (values.length === 0) return null;
  const v = Float64Array.from(values).sort();
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { min: round1(v[0]!), median: round1(median), max: round1(v[v.length - 1]!) };
}

function mergeIntervals(intervals: (readonly [number, number])[], gapMs: number): [number, number][] {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [f, t] of sorted) {
    const last = out[out.length - 1];
    if (last && f - last[1] <= gapMs) last[1] = Math.max(last[1], t);
    else out.push([f, t]);
  }
  return out;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
