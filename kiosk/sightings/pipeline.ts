/**
 * The sightings pipeline: advertising reports in; validated, low-pass filtered,
 * grouped into dwell sessions keyed by address, hashed, and queued for the store; the
 * sessions of one device joined across its address rotations into visits (visits.ts).
 * Synchronous and allocation-light on the per-report path; the kiosk calls `tick` about
 * once a second to close idle sessions, link new addresses and hand changes to the store.
 */
import type { AddressKind, AdvertisingReport } from '../../core/ports.js';
import { createRssiFilter, type RssiFilterConfig } from './rssi-filter.js';
import { AddressHasher, type SaltSource } from './address-hash.js';
import { SessionTracker, type SessionRecord } from './sessions.js';
import { addShape, advertisingShape, MAX_SHAPES, type ShapeFields } from './advertising-shape.js';
import { VisitLinker, type VisitRecord, type VisitStats } from './visits.js';

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
  /** The `sightings.visits` config; without it no visits are made (sessions only). */
  visits?: VisitsConfig;
}

export interface VisitsConfig {
  enabled: boolean;
  linkGapS: number;
  rssiJumpDb: number;
  minVisitS: number;
  maxVisitH: number;
}

/** Reports of a session whose advertising shape is recorded (an advert and its scan response alternate). */
const SHAPE_SAMPLES = 8;

export interface SightingsStats {
  reports: number;
  dropped: { rssi: number; time: number };
  sessionsOpen: number;
  sessionsClosed: number;
  sessionsStarted: number;
  occupancyNow: number;
  occupancyPeak: number;
  /** Visits inside now (each device once, whatever addresses it used) and the peak; with visits on. */
  visitsNow?: number;
  visitsPeak?: number;
  visits?: VisitStats;
}

export type SessionSink = (records: SessionRecord[]) => void;
export type VisitSink = (records: VisitRecord[]) => void;

export class SightingsPipeline {
  readonly tracker: SessionTracker;
  /** Joins sessions into visits; null without a `visits` config. */
  readonly visits: VisitLinker | null;
  readonly #insideRssi: number;
  readonly #visitorKinds: ReadonlySet<AddressKind>;
  readonly #sinks: SessionSink[] = [];
  readonly #visitSinks: VisitSink[] = [];
  #visitsNow = 0;
  #visitsPeak = 0;
  #reports = 0;
  #droppedRssi = 0;
  #droppedTime = 0;
  #occupancyNow = 0;
  #occupancyPeak = 0;
  readonly #firstId: number;

  constructor(opts: SightingsPipelineOptions) {
    this.#insideRssi = opts.insideRssiDbm;
    this.#visitorKinds = new Set(opts.visitorKinds);
    const v = opts.visits;
    this.visits = v ? new VisitLinker({
      enabled: v.enabled,
      linkGapMs: v.linkGapS * 1000,
      rssiJumpDb: v.rssiJumpDb,
      minVisitMs: v.minVisitS * 1000,
      maxVisitMs: v.maxVisitH * 3_600_000,
      insideRssiDbm: opts.insideRssiDbm,
      visitorKinds: this.#visitorKinds,
    }) : null;
    this.tracker = new SessionTracker({
      filter: createRssiFilter(opts.filter),
      gapMs: opts.sessionGapS * 1000,
      hasher: new AddressHasher(opts.salts),
      firstId: opts.firstSessionId,
      ...(this.visits ? { observer: this.visits } : {}),
    });
    this.visits?.attach(() => this.tracker.openSessions());
    this.#firstId = opts.firstSessionId ?? 1;
  }

  /** Where session changes go: closed sessions and snapshots of changed open ones. */
  onSessions(sink: SessionSink): void {
    this.#sinks.push(sink);
  }

  /** Where closed visits go (with visits on). */
  onVisits(sink: VisitSink): void {
    this.#visitSinks.push(sink);
  }

  /** Feed one report; returns false when it was dropped as invalid. Its advertising shape feeds the visit linker. */
  ingest(report: Pick<AdvertisingReport, 'address' | 'addressKind' | 'rssi' | 'time'> & Partial<ShapeFields>): boolean {
    if (!this.ingestRaw(report.address, report.addressKind, report.rssi, report.time)) return false;
    if (this.visits !== null && report.serviceData !== undefined) {
      const s = this.tracker.current!;
      if (s.samples <= SHAPE_SAMPLES && s.shapes.length < MAX_SHAPES) addShape(s.shapes, advertisingShape(report as ShapeFields));
    }
    return true;
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
    if (this.visits !== null) {
      const visits = this.visits.tick(now);
      if (visits.length > 0) this.#emitVisits(visits);
      this.#visitsNow = this.visits.occupancy(this.#insideRssi, now);
      if (this.#visitsNow > this.#visitsPeak) this.#visitsPeak = this.#visitsNow;
    }
    return { closed: closed.length, occupancy: this.#occupancyNow };
  }

  /** Visits inside now (with visits on), else the sessions' occupancy: what the screen shows. */
  get visitsNow(): number {
    return this.visits !== null ? this.#visitsNow : this.#occupancyNow;
  }

  /** Close every open session and visit (shutdown, end of a replay). */
  finish(): void {
    const closed = this.tracker.closeAll();
    if (closed.length > 0) this.#emit(closed);
    this.#occupancyNow = 0;
    if (this.visits !== null) {
      const visits = this.visits.finish();
      if (visits.length > 0) this.#emitVisits(visits);
      this.#visitsNow = 0;
    }
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
      ...(this.visits !== null ? { visitsNow: this.#visitsNow, visitsPeak: this.#visitsPeak, visits: this.visits.stats() } : {}),
    };
  }

  #emit(records: SessionRecord[]): void {
    for (const sink of this.#sinks) sink(records);
  }

  #emitVisits(records: VisitRecord[]): void {
    for (const sink of this.#visitSinks) sink(records);
  }
}
