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
/** Sessions longer than this are found by a separate query (most are a rotation period long). */
const LONG_SESSION_MS = 2 * 3_600_000;

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
    const days = p.from === undefined ? saltDays : range(utcDay(p.from * 1000 - 60_000), utcDay(p.to! * 1000));
    for (const day of days) {
      if (!salts.has(day)) {
        withoutSalt.add(day);
        continue;
      }
      let list = byDay.get(day);
      if (!list) byDay.set(day, (list = []));
      list.push(p);
    }
  }

  const hasher = new AddressHasher({ saltFor: (day) => salts.get(day)! });
  const sessionsOfDay = db.prepare(`SELECT id, address_hash, first_seen, last_seen, samples, rssi_min, rssi_mean, rssi_max FROM sessions
    WHERE first_seen >= ? AND first_seen < ? AND address_hash IN (SELECT value FROM json_each(?))`);
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
    const rows = sessionsOfDay.all(day * DAY_MS, (day + 1) * DAY_MS, JSON.stringify([...entries.keys()])) as SessionRow[];
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
  const others = overlappingSessions(db, own.map((o) => o.row), ownIds, kindsJson);

  const windows: ContactWindow[] = own.map(({ row, address }) => ({
    address,
    from: Math.floor(row.first_seen / 1000),
    to: Math.ceil(row.last_seen / 1000),
    rssiMean: row.rssi_mean,
    rssiMin: row.rssi_min,
    rssiMax: row.rssi_max,
    samples: row.samples,
    record: `s-${row.id}`,
    overlapping: aggregate(others.map((o) => [overlapMs(o, [[row.first_seen, row.last_seen]]), o[3]] as const)),
  }));
  const union = mergeIntervals(own.map((o) => [o.row.first_seen, o.row.last_seen] as [number, number]), 0);
  const visits = mergeIntervals(own.map((o) => [o.row.first_seen, o.row.last_seen] as [number, number]), mergeGapMs).map(([f, t]) => {
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
    overlapping: aggregate(others.map((o) => [overlapMs(o, union), o[3]] as const)),
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

/** Sessions of the given kinds (not the matched ones) overlapping any of the windows, each once. */
function overlappingSessions(db: Database, windows: readonly SessionRow[], ownIds: ReadonlySet<number>, kindsJson: string): OtherRow[] {
  if (windows.length === 0) return [];
  const near = db.prepare(`SELECT id, first_seen, last_seen, rssi_mean FROM sessions
    WHERE first_seen >= ? AND first_seen <= ? AND last_seen >= ? AND kind IN (SELECT value FROM json_each(?))`).raw();
  const out = new Map<number, OtherRow>();
  for (const w of windows) {
    for (const r of near.all(w.first_seen - LONG_SESSION_MS, w.last_seen, w.first_seen, kindsJson) as OtherRow[]) {
      if (!ownIds.has(r[0])) out.set(r[0], r);
    }
  }
  // sessions longer than LONG_SESSION_MS may have opened before the range above
  const minFrom = Math.min(...windows.map((w) => w.first_seen));
  const maxTo = Math.max(...windows.map((w) => w.last_seen));
  const long = db.prepare(`SELECT id, first_seen, last_seen, rssi_mean FROM sessions
    WHERE last_seen >= ? AND first_seen <= ? AND last_seen - first_seen > ? AND kind IN (SELECT value FROM json_each(?))`).raw();
  for (const r of long.all(minFrom, maxTo, LONG_SESSION_MS, kindsJson) as OtherRow[]) {
    if (ownIds.has(r[0]) || out.has(r[0])) continue;
    if (windows.some((w) => r[1] <= w.last_seen && r[2] >= w.first_seen)) out.set(r[0], r);
  }
  return [...out.values()];
}

/** How long [first, last] of a session overlaps the (disjoint) intervals, ms; -1 when it touches none. */
function overlapMs(o: OtherRow, intervals: readonly (readonly [number, number])[]): number {
  let total = -1;
  for (const [f, t] of intervals) {
    if (o[1] > t || o[2] < f) continue;
    total = Math.max(total, 0) + Math.min(o[2], t) - Math.max(o[1], f);
  }
  return total;
}

function aggregate(pairs: readonly (readonly [overlapMs: number, rssiMean: number])[]): OverlapAggregate {
  const present = pairs.filter(([ms]) => ms >= 0);
  const seconds = present.map(([ms]) => ms / 1000);
  const rssi = present.map(([, r]) => r);
  const s = summarize(seconds);
  return {
    sessions: present.length,
    overlapS: { total: round1(seconds.reduce((a, b) => a + b, 0)), ...(s ?? { min: null, median: null, max: null }) },
    sessionsAtLeast: { '10min': seconds.filter((x) => x >= 600).length, '15min': seconds.filter((x) => x >= 900).length },
    rssiMean: summarize(rssi),
  };
}

function summarize(values: number[]): Summary | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { min: round1(v[0]!), median: round1(median), max: round1(v[v.length - 1]!) };
}

function mergeIntervals(intervals: [number, number][], gapMs: number): [number, number][] {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [f, t] of sorted) {
    const last = out[out.length - 1];
    if (last && f - last[1] <= gapMs) last[1] = Math.max(last[1], t);
    else out.push([f, t]);
  }
  return out;
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let d = a; d <= b; d++) out.push(d);
  return out;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
