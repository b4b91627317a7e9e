/**
 * Dwell sessions: one per address from first report until the address has not been
 * heard for the gap timeout. A rotated address is a new address, so it starts a new
 * session. Each session keeps its low-pass-filtered RSSI and running statistics of it.
 */
import type { AddressKind } from '../../core/ports.js';
import type { RssiFilter, RssiFilterState } from './rssi-filter.js';
import type { AddressHasher } from './address-hash.js';

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
  /** Changed since the store last saw it. */
  dirty: boolean;
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
}

export class SessionTracker {
  readonly #open = new Map<string, OpenSession>();
  readonly #filter: RssiFilter;
  readonly #gapMs: number;
  readonly #hasher: AddressHasher;
  #nextId: number;
  #closedCount = 0;

  constructor(opts: SessionTrackerOptions) {
    if (!(opts.gapMs > 0)) throw new RangeError(`gapMs must be > 0, got ${opts.gapMs}`);
    this.#filter = opts.filter;
    this.#gapMs = opts.gapMs;
    this.#hasher = opts.hasher;
    this.#nextId = opts.firstId ?? 1;
  }

  /**
   * Feed one report. Returns the session it closed when the same address came back
   * after more than the gap (the old visit ended), else undefined.
   */
  observe(address: string, kind: AddressKind, rssi: number, time: number): SessionRecord | undefined {
    const s = this.#open.get(address);
    if (s !== undefined) {
      if (time - s.lastSeen <= this.#gapMs) {
        const v = this.#filter.update(s.filter, rssi, time);
        if (v < s.rssiMin) s.rssiMin = v;
        if (v > s.rssiMax) s.rssiMax = v;
        s.rssiSum += v;
        s.samples++;
        if (time > s.lastSeen) s.lastSeen = time;
        s.dirty = true;
        return undefined;
      }
      this.#open.delete(address);
      const closed = toRecord(s, true);
      this.#closedCount++;
      this.#start(address, kind, rssi, time);
      return closed;
    }
    this.#start(address, kind, rssi, time);
    return undefined;
  }

  #start(address: string, kind: AddressKind, rssi: number, time: number): void {
    this.#open.set(address, {
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
      dirty: true,
    });
  }

  /** Close every session not heard for more than the gap before `now`. */
  sweep(now: number): SessionRecord[] {
    const closed: SessionRecord[] = [];
    for (const [address, s] of this.#open) {
      if (now - s.lastSeen > this.#gapMs) {
        this.#open.delete(address);
        closed.push(toRecord(s, true));
      }
    }
    this.#closedCount += closed.length;
    return closed;
  }

  /** Close everything (shutdown). */
  closeAll(): SessionRecord[] {
    const closed = [...this.#open.values()].map((s) => toRecord(s, true));
    this.#closedCount += closed.length;
    this.#open.clear();
    return closed;
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
