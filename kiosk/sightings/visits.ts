/**
 * Visits: the dwell sessions of one device joined across its address rotations. When an
 * address goes silent and, within `linkGapMs`, a new one of the same kind appears with the
 * same advertising shape, a similar advertising interval and a filtered RSSI that continues
 * the old one's, the new session continues the old one's visit. The links live in memory
 * only: a closed visit is handed on as times, dwell and an address count, never with the
 * address hashes it joined. A closed visit is a visitor's unless it was short or never
 * inside (someone passing the door), lasted longer than `maxVisitMs`, or is of an address
 * kind that is not a visitor's (the venue's own devices, fixed beacons).
 */
import type { AddressKind } from '../../core/ports.js';
import { shapesMeet } from './advertising-shape.js';
import type { OpenSession, SessionObserver } from './sessions.js';

export type VisitClass = 'visitor' | 'passer-by' | 'fixed';

/** A closed (or, from `openVisits`, provisional) visit: no address, no hash, no session id. */
export interface VisitRecord {
  /** First and last report of the visit, ms since the epoch. */
  firstSeen: number;
  lastSeen: number;
  dwellMs: number;
  /** Addresses the device used during the visit (sessions joined). */
  addresses: number;
  class: VisitClass;
  /** Highest filtered RSSI of the visit, dBm. */
  peakRssi: number;
}

/** A visit in progress; its sessions point to it. */
export interface Visit {
  firstSeen: number;
  addresses: number;
  /** Highest filtered RSSI of its sessions before the head, dBm. */
  peakRssi: number;
  kind: AddressKind;
  /** The session that continues it now: the device's current address. */
  head: OpenSession;
  closed: boolean;
}

export interface VisitLinkerOptions {
  /** Off: no session is ever linked to another (each address is its own visit). */
  enabled: boolean;
  linkGapMs: number;
  rssiJumpDb: number;
  minVisitMs: number;
  maxVisitMs: number;
  insideRssiDbm: number;
  visitorKinds: ReadonlySet<AddressKind>;
  /** How long a new address is watched (and the old one must stay silent) before it is linked, ms. Default 4000. */
  settleMs?: number;
}

export interface VisitStats {
  visitsOpen: number;
  /** Closed visits by class. */
  visitors: number;
  passersBy: number;
  fixedDevices: number;
  /** Rotations linked, and links undone because the old address was heard again. */
  links: number;
  linksUndone: number;
}

/** Addresses that rotate; public and static addresses are their device's for good. */
const ROTATING: ReadonlySet<AddressKind> = new Set(['resolvable', 'non-resolvable']);
/** The old address may still be heard this long after the new one's first report (reordering, a last scan response), ms. */
const OVERLAP_MS = 500;
/**
 * Advertising intervals within this ratio of each other (or of a multiple of the other: a
 * session's shortest report spacing is a multiple of its interval until two reports in a row
 * were heard) are one class.
 */
const INTERVAL_RATIO = 1.15;
const LN_INTERVAL_RATIO = Math.log(INTERVAL_RATIO);
/** Multiples of an interval a short session's estimate may be off by. */
const MAX_INTERVAL_MULTIPLE = 4;
/** Reports after which a session's shortest spacing is taken as its interval itself. */
const INTERVAL_SURE_SAMPLES = 12;
/**
 * An old address whose RSSI was falling this fast at its end (filtered minus slowly averaged
 * RSSI) left with its device, walking out: it is not continued by a new address, dB.
 */
const WALK_TREND_DB = 3;
/** Candidates looked at per new address, nearest in time first (bounds the work under address floods). */
const MAX_CANDIDATES = 8;
/** The best fits kept per new address for the matching (the best may go to another). */
const KEEP_FITS = 2;

interface Undo {
  addresses: number;
  peakRssi: number;
}

export class VisitLinker implements SessionObserver {
  readonly #o: Required<VisitLinkerOptions>;
  /** The tracker's open sessions (set by the pipeline). */
  #openSessions: () => Iterable<OpenSession> = () => [];
  /** New rotating addresses not yet linked or made a visit of their own, by first report. */
  #pending: OpenSession[] = [];
  /** Closed sessions that may still be continued by a new address. */
  #ended: OpenSession[] = [];
  /** Visits whose head closed, waiting until no new address can continue them. */
  readonly #closing = new Set<Visit>();
  /** Links that can still be undone (the old session is open), by the new session. */
  readonly #undo = new Map<OpenSession, Undo>();
  #open = 0;
  #visitors = 0;
  #passersBy = 0;
  #fixed = 0;
  #links = 0;
  #linksUndone = 0;

  constructor(opts: VisitLinkerOptions) {
    for (const key of ['linkGapMs', 'rssiJumpDb', 'maxVisitMs'] as const) {
      if (!(opts[key] > 0)) throw new RangeError(`${key} must be > 0, got ${opts[key]}`);
    }
    if (!(opts.minVisitMs >= 0)) throw new RangeError(`minVisitMs must be >= 0, got ${opts.minVisitMs}`);
    this.#o = { settleMs: 4000, ...opts };
  }

  /** Where the open sessions are (the tracker's map). */
  attach(openSessions: () => Iterable<OpenSession>): void {
    this.#openSessions = openSessions;
  }

  // ---- SessionObserver: called by the tracker --------------------------------------

  opened(s: OpenSession): void {
    if (this.#o.enabled && ROTATING.has(s.kind)) this.#pending.push(s);
    else this.#startVisit(s);
  }

  resumed(s: OpenSession): void {
    const next = s.successor!;
    s.successor = null;
    const undo = this.#undo.get(next);
    this.#undo.delete(next);
    const v = next.visit;
    // only while the new address is still the visit's latest: later links stay as they are
    if (!undo || !v || v.head !== next || v.closed) return;
    v.head = s;
    v.addresses = undo.addresses;
    v.peakRssi = undo.peakRssi;
    next.visit = null;
    this.#links--;
    this.#linksUndone++;
    this.#pending.push(next);
  }

  closed(s: OpenSession): void {
    if (s.successor !== null) this.#undo.delete(s.successor);
    if (s.visit === null) return; // pending: decided at the next tick
    if (s.visit.head === s) this.#closing.add(s.visit);
    if (this.#o.enabled && ROTATING.has(s.kind) && s.successor === null) this.#ended.push(s);
  }

  // ---- the sweep ----------------------------------------------------------------------

  /** Links or starts the new addresses that have settled, and returns the visits that closed. */
  tick(now: number): VisitRecord[] {
    this.#decide(now, false);
    return this.#closeVisits(now, false);
  }

  /** Decides every pending address and closes every visit whose head closed (shutdown, end of a replay). */
  finish(): VisitRecord[] {
    this.#decide(Infinity, true);
    return this.#closeVisits(Infinity, true);
  }

  /** Visitor-kind devices inside now, counting each visit once (its current address). */
  occupancy(insideRssiDbm: number, now: number): number {
    const { visitorKinds, maxVisitMs } = this.#o;
    let n = 0;
    for (const s of this.#openSessions()) {
      if (!visitorKinds.has(s.kind) || s.filter.value < insideRssiDbm) continue;
      const v = s.visit;
      // an address still settling counts as its own visit until linked
      if (v === null || (v.head === s && now - v.firstSeen <= maxVisitMs)) n++;
    }
    return n;
  }

  /** The visits in progress, classified as if they ended now. */
  openVisits(now: number): VisitRecord[] {
    const out: VisitRecord[] = [];
    for (const s of this.#openSessions()) {
      if (s.visit === null) out.push(this.#record(s.firstSeen, Math.min(s.lastSeen, now), 1, s.rssiMax, s.kind));
      else if (s.visit.head === s) out.push(this.#recordOf(s.visit));
    }
    return out;
  }

  stats(): VisitStats {
    return {
      visitsOpen: this.#open, visitors: this.#visitors, passersBy: this.#passersBy, fixedDevices: this.#fixed,
      links: this.#links, linksUndone: this.#linksUndone,
    };
  }

  // ---- internals ----------------------------------------------------------------------

  #startVisit(s: OpenSession): void {
    s.visit = { firstSeen: s.firstSeen, addresses: 1, peakRssi: -Infinity, kind: s.kind, head: s, closed: false };
    this.#open++;
    if (s.ended) this.closed(s);
  }

  #link(from: OpenSession, to: OpenSession): void {
    const v = from.visit!;
    if (!from.ended) this.#undo.set(to, { addresses: v.addresses, peakRssi: v.peakRssi });
    v.addresses++;
    if (from.rssiMax > v.peakRssi) v.peakRssi = from.rssiMax;
    v.head = to;
    to.visit = v;
    from.successor = to;
    this.#links++;
    if (to.ended) this.closed(to);
  }

  /**
   * Every settled new address (watched for settleMs, or already closed) is linked to the
   * best silent predecessor that fits, each predecessor to one at most, best pairs first;
   * the rest start visits of their own.
   */
  #decide(now: number, all: boolean): void {
    if (this.#pending.length === 0) return;
    const settle = this.#o.settleMs;
    const ready: OpenSession[] = [];
    const waiting: OpenSession[] = [];
    for (const s of this.#pending) (all || s.ended || now - s.firstSeen >= settle ? ready : waiting).push(s);
    if (ready.length === 0) return;
    this.#pending = waiting;
    let oldest = Infinity;
    let newest = -Infinity;
    for (const s of ready) {
      if (s.firstSeen < oldest) oldest = s.firstSeen;
      if (s.firstSeen > newest) newest = s.firstSeen;
    }
    const from = oldest - this.#o.linkGapMs;
    const to = newest + OVERLAP_MS;
    const candidates: OpenSession[] = [];
    const consider = (p: OpenSession) => {
      if (p.visit !== null && p.successor === null && p.lastSeen >= from && p.lastSeen <= to && ROTATING.has(p.kind)) candidates.push(p);
    };
    for (const p of this.#openSessions()) consider(p);
    for (const p of this.#ended) consider(p);
    candidates.sort((a, b) => a.lastSeen - b.lastSeen);

    const pairs: { score: number; p: OpenSession; n: OpenSession }[] = [];
    for (const n of ready) {
      // the candidates that went silent no later than n's start (plus the overlap), nearest first
      let i = upperBound(candidates, n.firstSeen + OVERLAP_MS) - 1;
      const start = pairs.length;
      for (let looked = 0; i >= 0 && looked < MAX_CANDIDATES; i--) {
        const p = candidates[i]!;
        if (n.firstSeen - p.lastSeen > this.#o.linkGapMs) break;
        if (p.kind !== n.kind || p.firstSeen >= n.firstSeen) continue;
        looked++;
        const score = this.#fit(p, n);
        if (score < 0) continue;
        if (pairs.length - start < KEEP_FITS) {
          pairs.push({ score, p, n });
        } else {
          // replace this address's worst kept fit
          let worst = start;
          for (let k = start + 1; k < pairs.length; k++) if (pairs[k]!.score > pairs[worst]!.score) worst = k;
          if (score < pairs[worst]!.score) pairs[worst] = { score, p, n };
        }
      }
    }
    pairs.sort((a, b) => a.score - b.score);
    const taken = new Set<OpenSession>();
    for (const { p, n } of pairs) {
      if (taken.has(p) || taken.has(n) || p.successor !== null) continue;
      taken.add(p);
      taken.add(n);
      this.#link(p, n);
    }
    for (const n of ready) if (!taken.has(n)) this.#startVisit(n);
  }

  /** How well `n` continues `p` (0 best), or -1 when it cannot be the same device. */
  #fit(p: OpenSession, n: OpenSession): number {
    if (!shapesMeet(p.shapes, n.shapes)) return -1;
    const jump = Math.abs(p.filter.value - n.filter.value);
    if (jump > this.#o.rssiJumpDb) return -1;
    if (p.filter.value - p.slowRssi < -WALK_TREND_DB) return -1;
    let interval = 0;
    if (p.intervalMs !== Infinity && n.intervalMs !== Infinity) {
      interval = intervalMismatch(p, n);
      if (interval > LN_INTERVAL_RATIO) return -1;
    }
    const gap = Math.max(0, n.firstSeen - p.lastSeen);
    return gap / this.#o.linkGapMs + jump / this.#o.rssiJumpDb + interval / LN_INTERVAL_RATIO;
  }

  /** Closes the visits whose head closed and that no new address can continue any more. */
  #closeVisits(now: number, all: boolean): VisitRecord[] {
    const linkGap = this.#o.linkGapMs;
    let earliestPending = Infinity;
    for (const s of this.#pending) if (s.firstSeen < earliestPending) earliestPending = s.firstSeen;
    const out: VisitRecord[] = [];
    for (const v of this.#closing) {
      const head = v.head;
      if (v.closed || !head.ended) {
        this.#closing.delete(v); // continued by a newer address (re-added when that one closes)
        continue;
      }
      const last = head.lastSeen;
      if (!all && (now - last <= linkGap + OVERLAP_MS || earliestPending - last <= linkGap)) continue;
      this.#closing.delete(v);
      v.closed = true;
      this.#open--;
      const r = this.#recordOf(v);
      if (r.class === 'visitor') this.#visitors++;
      else if (r.class === 'passer-by') this.#passersBy++;
      else this.#fixed++;
      out.push(r);
    }
    // closed sessions too old to be continued are forgotten
    const horizon = Math.min(now, earliestPending) - linkGap - OVERLAP_MS;
    this.#ended = all ? [] : this.#ended.filter((s) => s.successor === null && s.lastSeen >= horizon);
    return out;
  }

  #recordOf(v: Visit): VisitRecord {
    const head = v.head;
    return this.#record(v.firstSeen, head.lastSeen, v.addresses, Math.max(v.peakRssi, head.rssiMax), v.kind);
  }

  #record(firstSeen: number, lastSeen: number, addresses: number, peakRssi: number, kind: AddressKind): VisitRecord {
    const dwellMs = lastSeen - firstSeen;
    const o = this.#o;
    const cls: VisitClass = !o.visitorKinds.has(kind) || dwellMs > o.maxVisitMs ? 'fixed'
      : dwellMs < o.minVisitMs || peakRssi < o.insideRssiDbm ? 'passer-by' : 'visitor';
    return { firstSeen, lastSeen, dwellMs, addresses, class: cls, peakRssi: Math.round(peakRssi * 10) / 10 };
  }
}

/**
 * How far apart two sessions' advertising intervals are: |ln| of the ratio of the less sure
 * estimate to the nearest multiple of the surer one; 0 for one interval. An estimate is a
 * shortest spacing, never shorter than the interval: a less sure one well below a sure one is
 * another device (Infinity).
 */
function intervalMismatch(a: OpenSession, b: OpenSession): number {
  const [sure, other] = a.samples >= b.samples ? [a, b] : [b, a];
  const ratio = other.intervalMs / sure.intervalMs;
  if (sure.samples >= INTERVAL_SURE_SAMPLES) {
    if (ratio < 1 / INTERVAL_RATIO) return Infinity;
  } else if (ratio < 1) {
    return intervalMultipleOff(1 / ratio);
  }
  return intervalMultipleOff(ratio);
}

function intervalMultipleOff(ratio: number): number {
  const k = Math.min(MAX_INTERVAL_MULTIPLE, Math.max(1, Math.round(ratio)));
  return Math.abs(Math.log(ratio / k));
}

/** Index of the first element whose lastSeen is greater than `t` (the array is sorted by lastSeen). */
function upperBound(sorted: readonly OpenSession[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.lastSeen <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
