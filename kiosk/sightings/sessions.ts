/**
 * Dwell sessions: one per address from first report until the address has not been
 * heard for the gap timeout. A rotated address is a new address, so it starts a new
 * session. Each session keeps its low-pass-filtered RSSI and running statistics of it, and
 * what the visit linker (visits.ts) compares across a rotation: the advertising interval
 * and shapes, in memory only.
 */
import type { AddressKind } from '../../core/ports.js';
import type { RssiFilter, RssiFilterState } from './rssi-filter.js';
import type { AddressHasher } from './address-hash.js';
import type { Visit } from './visits.js';

/** Reports closer together than this (an advert and its scan response) do not measure the advertising interval, ms. */
export const MIN_ADV_SPACING_MS = 20;
/** Time constant of the slow RSSI average the trend is measured against, ms. */
const TREND_TAU_MS = 12_000;
/** The step a report with no time gap to the previous one is given, ms (as rssi-filter.ts). */
const MIN_STEP_MS = 100;

export interface OpenSession {
  id: number;
  /** Raw address: memory only, never persisted. */
  address: string;
  addressHash: string;
  kind: AddressKind;
  firstSeen: number;
  lastSeen: number;
  samples: number;
  filter: RssiFilterState;
  rssiMin: number;
  rssiMax: number;
  rssiSum: number;
  /** Raw RSSI averaged slowly (time constant TREND_TAU_MS): `filter.value - slowRssi` is the RSSI's trend, dB. */
  slowRssi: number;
  /** Changed since the store last saw it. */
  dirty: boolean;
  /** Closed by the tracker (the object outlives that while the visit linker may still need it). */
  ended: boolean;
  /** Shortest spacing of two reports at least MIN_ADV_SPACING_MS apart, ms: about the advertising interval (Infinity until two). */
  intervalMs: number;
  /** Advertising shapes (advertising-shape.ts) of the first reports, a few at most. */
  shapes: number[];
  /** The visit this session belongs to; null until the visit linker decided (or with no linker). */
  visit: Visit | null;
  /** The session the linker made continue this one's visit (this one's address went silent), if any. */
  successor: OpenSession | null;
}

/** What the tracker tells the visit linker; all synchronous, on the report path or the sweep. */
export interface SessionObserver {
  opened(s: OpenSession): void;
  /** A session the linker gave a successor was heard again: the link was wrong. */
  resumed(s: OpenSession): void;
  closed(s: OpenSession): void;
}

/** What the store keeps of a session: no raw address. */
export interface SessionRecord {
  id: number;
  addressHash: string;
  kind: AddressKind;
  firstSeen: number;
  lastSeen: number;
  dwellMs: number;
  samples: number;
  rssiMin: number;
  rssiMean: number;
  rssiMax: number;
  /** Filtered RSSI at the last sample. */
  rssiLast: number;
  closed: boolean;
}

export interface SessionTrackerOptions {
  filter: RssiFilter;
  gapMs: number;
  hasher: AddressHasher;
  /** First id to hand out (the store's next id). */
  firstId?: number;
  /** Told of every session opened, resumed after a link, and closed (the visit linker). */
  observer?: SessionObserver;
}

export class SessionTracker {
  readonly #open = new Map<string, OpenSession>();
  readonly #filter: RssiFilter;
  readonly #gapMs: number;
  readonly #hasher: AddressHasher;
  readonly #observer: SessionObserver | null;
  #nextId: number;
  #closedCount = 0;
  /** The session the last `observe` extended or opened. */
  #current: OpenSession | null = null;

  constructor(opts: SessionTrackerOptions) {
    if (!(opts.gapMs > 0)) throw new RangeError(`gapMs must be > 0, got ${opts.gapMs}`);
    this.#filter = opts.filter;
    this.#gapMs = opts.gapMs;
    this.#hasher = opts.hasher;
    this.#nextId = opts.firstId ?? 1;
    this.#observer = opts.observer ?? null;
  }

  /**
   * Feed one report. Returns the session it closed when the same address came back
   * after more than the gap (the old visit ended), else undefined.
   */
  observe(address: string, kind: AddressKind, rssi: number, time: number): SessionRecord | undefined {
    const s = this.#open.get(address);
    if (s !== undefined) {
      const dt = time - s.lastSeen;
      if (dt <= this.#gapMs) {
        const v = this.#filter.update(s.filter, rssi, time);
        if (v < s.rssiMin) s.rssiMin = v;
        if (v > s.rssiMax) s.rssiMax = v;
        s.rssiSum += v;
        s.slowRssi += (1 - Math.exp(-(dt > 0 ? dt : MIN_STEP_MS) / TREND_TAU_MS)) * (rssi - s.slowRssi);
        s.samples++;
        if (dt >= MIN_ADV_SPACING_MS && dt < s.intervalMs) s.intervalMs = dt;
        if (time > s.lastSeen) s.lastSeen = time;
        s.dirty = true;
        this.#current = s;
        if (s.successor !== null) this.#observer?.resumed(s);
        return undefined;
      }
      this.#open.delete(address);
      const closed = this.#end(s);
      this.#start(address, kind, rssi, time);
      return closed;
    }
    this.#start(address, kind, rssi, time);
    return undefined;
  }

  #end(s: OpenSession): SessionRecord {
    s.ended = true;
    this.#closedCount++;
    this.#observer?.closed(s);
    return toRecord(s, true);
  }

  #start(address: string, kind: AddressKind, rssi: number, time: number): void {
    const s: OpenSession = {
      id: this.#nextId++,
      address,
      addressHash: this.#hasher.hash(address, time),
      kind,
      firstSeen: time,
      lastSeen: time,
      samples: 1,
      filter: this.#filter.init(rssi, time),
      rssiMin: rssi,
      rssiMax: rssi,
      rssiSum: rssi,
      slowRssi: rssi,
      dirty: true,
      ended: false,
      intervalMs: Infinity,
      shapes: [],
      visit: null,
      successor: null,
    };
    this.#open.set(address, s);
    this.#current = s;
    this.#observer?.opened(s);
  }

  /** Close every session not heard for more than the gap before `now`. */
  sweep(now: number): SessionRecord[] {
    const closed: SessionRecord[] = [];
    for (const [address, s] of this.#open) {
      if (now - s.lastSeen > this.#gapMs) {
        this.#open.delete(address);
        closed.push(this.#end(s));
      }
    }
    return closed;
  }

  /** Close everything (shutdown). */
  closeAll(): SessionRecord[] {
    const open = [...this.#open.values()];
    this.#open.clear();
    return open.map((s) => this.#end(s));
  }

  /** The open sessions, for the visit linker's sweep (do not change the map). */
  openSessions(): IterableIterator<OpenSession> {
    return this.#open.values();
  }

  /** The session the last `observe` extended or opened. */
  get current(): OpenSession | null {
    return this.#current;
  }

  /** Snapshots of open sessions changed since the last call, for durable storage. */
  takeDirty(): SessionRecord[] {
    const out: SessionRecord[] = [];
    for (const s of this.#open.values()) {
      if (s.dirty) {
        s.dirty = false;
        out.push(toRecord(s, false));
      }
    }
    return out;
  }

  /** Open sessions of the given kinds whose filtered RSSI is at or above the threshold. */
  occupancy(insideRssiDbm: number, kinds: ReadonlySet<AddressKind>): number {
    let n = 0;
    for (const s of this.#open.values()) if (kinds.has(s.kind) && s.filter.value >= insideRssiDbm) n++;
    return n;
  }

  get openCount(): number {
    return this.#open.size;
  }

  get closedCount(): number {
    return this.#closedCount;
  }

  get nextId(): number {
    return this.#nextId;
  }

  /** Filtered RSSI of an address's open session (for the tap threshold), if any. */
  filteredRssi(address: string): number | undefined {
    return this.#open.get(address)?.filter.value;
  }
}

function toRecord(s: OpenSession, closed: boolean): SessionRecord {
  return {
    id: s.id,
    addressHash: s.addressHash,
    kind: s.kind,
    firstSeen: s.firstSeen,
    lastSeen: s.lastSeen,
    dwellMs: s.lastSeen - s.firstSeen,
    samples: s.samples,
    rssiMin: round1(s.rssiMin),
    rssiMean: round1(s.rssiSum / s.samples),
    rssiMax: round1(s.rssiMax),
    rssiLast: round1(s.filter.value),
    closed,
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
