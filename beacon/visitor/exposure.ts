/**
 * Passive exposure matching, done on the phone: the region's exposure reports (public, from
 * the chain) against the visitor's own check-ins (never sent anywhere). A check-in's stay
 * runs from its attestation time to a departure taken from a check-out, else the kiosk's
 * dwell statistics, else a default — and a match says which one it used.
 */
import { WaymarkError } from '../../core/errors.js';

/** One `ExposureReported` event of the WaymarkRegistry. */
export interface ExposureReport {
  venueId: number;
  /** Unix seconds, inclusive. */
  from: number;
  to: number;
  /** When the venue turns Clean on its own, Unix seconds. */
  expiresAt?: number;
  /** The reporting authority's address. */
  authority?: string;
  /** Where the report is on chain (for display and de-duplication). */
  txHash?: string;
  blockNumber?: number;
}

/** What the matcher needs of one check-in the phone holds. */
export interface VisitorCheckin {
  /** The attestation id (its EIP-712 digest). */
  id: string;
  venueId: number;
  geohash: string;
  /** Arrival, Unix seconds (the attestation's time). */
  time: number;
  /** Departure, Unix seconds, when the visitor checked out (a second tap or scan on leaving). */
  checkoutTime?: number;
  /** The kiosk's median visit length at that venue, seconds, as it told the phone at check-in. */
  kioskDwellS?: number;
}

export type DepartureSource = 'checkout' | 'kiosk-dwell' | 'default';

export interface ExposureMatch {
  checkinId: string;
  venueId: number;
  geohash: string;
  /** The visitor's stay, Unix seconds. */
  from: number;
  to: number;
  /** Seconds the stay overlaps the reported window (> 0). */
  overlapS: number;
  departure: DepartureSource;
  report: ExposureReport;
}

export interface MatchOptions {
  /** Stay length when neither a check-out nor kiosk dwell figures are known, seconds. Default 3600. */
  defaultStayS?: number;
  /** A check-out later than this after arrival is not believed, seconds. Default 12 h. */
  maxStayS?: number;
  /** Only check-ins at or after this time count (the retention window), Unix seconds. */
  since?: number;
}

export const DEFAULT_STAY_S = 3600;
const MAX_STAY_S = 12 * 3600;

/** The visitor's stay for a check-in, and where its end came from. */
export function stayOf(c: VisitorCheckin, opts: MatchOptions = {}): { from: number; to: number; departure: DepartureSource } {
  const maxStay = opts.maxStayS ?? MAX_STAY_S;
  if (c.checkoutTime !== undefined && c.checkoutTime > c.time && c.checkoutTime - c.time <= maxStay) {
    return { from: c.time, to: c.checkoutTime, departure: 'checkout' };
  }
  if (c.kioskDwellS !== undefined && c.kioskDwellS > 0 && Number.isFinite(c.kioskDwellS)) {
    return { from: c.time, to: c.time + Math.min(Math.round(c.kioskDwellS), maxStay), departure: 'kiosk-dwell' };
  }
  return { from: c.time, to: c.time + (opts.defaultStayS ?? DEFAULT_STAY_S), departure: 'default' };
}

/**
 * Every (check-in, report) pair at the same venue whose times overlap, longest overlap first.
 * Linear in check-ins + reports: reports are indexed by venue first.
 */
export function matchExposures(checkins: readonly VisitorCheckin[], reports: readonly ExposureReport[], opts: MatchOptions = {}): ExposureMatch[] {
  const byVenue = new Map<number, ExposureReport[]>();
  for (const r of reports) {
    if (!(r.to >= r.from)) throw new WaymarkError('WAYMARK_ERR_EXPOSURE_WINDOW', `report for venue ${r.venueId}: from ${r.from} is after to ${r.to}`);
    let list = byVenue.get(r.venueId);
    if (!list) byVenue.set(r.venueId, (list = []));
    list.push(r);
  }
  const matches: ExposureMatch[] = [];
  for (const c of checkins) {
    if (opts.since !== undefined && c.time < opts.since) continue;
    const list = byVenue.get(c.venueId);
    if (!list) continue;
    const stay = stayOf(c, opts);
    for (const r of list) {
      const overlapS = Math.min(stay.to, r.to) - Math.max(stay.from, r.from);
      if (overlapS > 0) matches.push({ checkinId: c.id, venueId: c.venueId, geohash: c.geohash, from: stay.from, to: stay.to, overlapS, departure: stay.departure, report: r });
    }
  }
  return matches.sort((a, b) => b.overlapS - a.overlapS);
}

/** What the phone tells its owner about a match: where, when, how long, and what to do. */
export function describeMatch(m: ExposureMatch): string {
  const minutes = Math.max(1, Math.round(m.overlapS / 60));
  const how = m.departure === 'checkout' ? 'from your check-out'
    : m.departure === 'kiosk-dwell' ? "estimated from the venue's usual visit length (you did not check out)"
      : 'assumed one hour (you did not check out and the venue gave no visit length)';
  return `You were at venue ${m.venueId} (${m.geohash}) for about ${minutes} min while an infected visitor was there `
    + `(your stay ${how}). Watch for symptoms for 14 days, test if any appear, and follow your health authority's advice.`;
}
