/**
 * The sightings pipeline: advertising reports in; validated, low-pass filtered,
 * grouped into dwell sessions keyed by address, hashed, and queued for the store.
 * Synchronous and allocation-light on the per-report path; the kiosk calls `tick` about
 * once a second to close idle sessions and hand changes to the store.
 */
import type { AddressKind, AdvertisingReport } from '../../core/ports.js';
import { createRssiFilter, type RssiFilterConfig } from './rssi-filter.js';
import { AddressHasher, type SaltSource } from './address-hash.js';
import { SessionTracker, type SessionRecord } from './sessions.js';

/** Valid RSSI range of an LE Advertising Report (Core spec: -127..+20 dBm; 127 = unavailable). */
export const RSSI_MIN = -127;
export const RSSI_MAX = 20;

export interface SightingsPipelineOptions {
  filter: RssiFilterConfig;
  sessionGapS: number;
  insideRssiDbm: number;
  visitorKinds: readonly AddressKind[];
  salts: SaltSource;
  firstSessionId?: number;
}

export interface SightingsStats {
  reports: number;
  dropped: { rssi: number; time: number };
  sessionsOpen: number;
  sessionsClosed: number;
  sessionsStarted: number;
  occupancyNow: number;
  occupancyPeak: number;
}

export type SessionSink = (records: SessionRecord[]) => void;

export class SightingsPipeline {
  readonly tracker: SessionTracker;
  readonly #insideRssi: number;
  readonly #visitorKinds: ReadonlySet<AddressKind>;
  readonly #sinks: SessionSink[] = [];
  #reports = 0;
  #droppedRssi = 0;
  #droppedTime = 0;
  #occupancyNow = 0;
  #occupancyPeak = 0;
  readonly #firstId: number;

  constructor(opts: SightingsPipelineOptions) {
    this.tracker = new SessionTracker({
      filter: createRssiFilter(opts.filter),
      gapMs: opts.sessionGapS * 1000,
      hasher: new AddressHasher(opts.salts),
      firstId: opts.firstSessionId,
    });
    this.#firstId = opts.firstSessionId ?? 1;
    this.#insideRssi = opts.insideRssiDbm;
    this.#visitorKinds = new Set(opts.visitorKinds);
  }

  /** Where session changes go: closed sessions and snapshots of changed open ones. */
  onSessions(sink: SessionSink): void {
    this.#sinks.push(sink);
  }

  /** Feed one report; returns false when it was dropped as invalid. */
  ingest(report: Pick<AdvertisingReport, 'address' | 'addressKind' | 'rssi' | 'time'>): boolean {
    return this.ingestRaw(report.address, report.addressKind, report.rssi, report.time);
  }

  /** `ingest` without the object, for hot loops (replay, benchmarks). */
  ingestRaw(address: string, kind: AddressKind, rssi: number, time: number): boolean {
    if (!(rssi >= RSSI_MIN && rssi <= RSSI_MAX) || !Number.isInteger(rssi)) {
      this.#droppedRssi++;
      return false;
    }
    if (!Number.isFinite(time)) {
      this.#droppedTime++;
      return false;
    }
    this.#reports++;
    const closed = this.tracker.observe(address, kind, rssi, time);
    if (closed !== undefined) this.#emit([closed]);
    return true;
  }

  /** Close idle sessions, update occupancy, and pass changes to the sinks. */
  tick(now: number): { closed: number; occupancy: number } {
    const closed = this.tracker.sweep(now);
    const dirty = this.tracker.takeDirty();
    if (closed.length > 0 || dirty.length > 0) this.#emit(closed.length ? closed.concat(dirty) : dirty);
    this.#occupancyNow = this.tracker.occupancy(this.#insideRssi, this.#visitorKinds);
    if (this.#occupancyNow > this.#occupancyPeak) this.#occupancyPeak = this.#occupancyNow;
    return { closed: closed.length, occupancy: this.#occupancyNow };
  }

  /** Close every open session (shutdown, end of a replay). */
  finish(): void {
    const closed = this.tracker.closeAll();
    if (closed.length > 0) this.#emit(closed);
    this.#occupancyNow = 0;
  }

  stats(): SightingsStats {
    return {
      reports: this.#reports,
      dropped: { rssi: this.#droppedRssi, time: this.#droppedTime },
      sessionsOpen: this.tracker.openCount,
      sessionsClosed: this.tracker.closedCount,
      sessionsStarted: this.tracker.nextId - this.#firstId,
      occupancyNow: this.#occupancyNow,
      occupancyPeak: this.#occupancyPeak,
    };
  }

  #emit(records: SessionRecord[]): void {
    for (const sink of this.#sinks) sink(records);
  }
}
