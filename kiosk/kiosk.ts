/**
 * The kiosk daemon's core: wires a Scanner into the sightings pipeline and the SQLite
 * store, and runs the housekeeping loop (close idle sessions, sample occupancy, commit
 * queued writes once per flush interval, enforce retention over the whole store). HTTP
 * and CLI sit on top.
 */
import { join } from 'node:path';
import type { KioskConfig } from '../core/config.js';
import { DAY_MS, type Clock } from '../core/clock.js';
import type { AddressKind, Scanner, RadioState } from '../core/ports.js';
import { TypedEmitter } from '../core/events.js';
import { silentLogger, type Logger } from '../core/log.js';
import { STORE_FILE } from '../core/paths.js';
import { openDatabase, type Database } from './store/database.js';
import { SightingsStore, type RetentionResult } from './store/sightings-store.js';
import { SightingsPipeline } from './sightings/pipeline.js';
import type { SessionRecord } from './sightings/sessions.js';
import type { VisitRecord } from './sightings/visits.js';
import { AttestationStore } from './checkin/records.js';
import { BatchStore } from './batcher/batch-store.js';

export interface KioskOptions {
  config: KioskConfig;
  clock: Clock;
  scanner: Scanner;
  logger?: Logger;
  /** SQLite path; default `<dataDir>/waymark.db`. */
  storePath?: string;
}

export type KioskEvents = {
  /** Closed sessions and snapshots of changed open ones, as the store receives them. */
  sessions: (records: SessionRecord[]) => void;
  /** Visits as they close (no addresses, no hashes). */
  visits: (records: VisitRecord[]) => void;
  tick: (now: number) => void;
};

export interface KioskStatus {
  venue: { name: string; geohash: string };
  radio: { adapter: string; state: RadioState; reports: number; dropped: number; restarts: number };
  store: { path: string; ok: boolean; lastError: string | null; sessions: number; pendingWrites: number; flushes: number };
  clock: { now: string; synced: boolean; source: string; detail?: string };
  sightings: ReturnType<SightingsPipeline['stats']>;
  retention: {
    days: number;
    lastRun: string | null;
    /** Sightings: salts, sessions, occupancy samples. */
    last: RetentionResult | null;
    /** Check-in attestations and batch leaves (null until a sweep ran on a synchronized clock). */
    records: RecordRetentionResult | null;
  };
  uptimeS: number;
}

/** What one retention sweep deleted of the check-in records and their proofs. */
export interface RecordRetentionResult {
  /** Attestations deleted, those never batched included. */
  attestationsDeleted: number;
  unbatchedAttestationsDeleted: number;
  /** Batch leaves whose values were forgotten (the rest of their batch is recent): no proof any more. */
  leavesForgotten: number;
  /** Batch leaves deleted with the rest of their batch, all of it past the period. */
  leavesDeleted: number;
}

export class Kiosk extends TypedEmitter<KioskEvents> {
  readonly config: KioskConfig;
  readonly clock: Clock;
  readonly scanner: Scanner;
  readonly store: SightingsStore;
  readonly pipeline: SightingsPipeline;
  readonly log: Logger;
  readonly storePath: string;
  readonly #db: Database;
  #radioState: RadioState = 'unknown';
  #timer: NodeJS.Timeout | undefined;
  #lastOccupancySample = -Infinity;
  #lastRetention = -Infinity;
  #lastRetentionResult: RetentionResult | null = null;
  #lastRecordRetention: RecordRetentionResult | null = null;
  #recordRetentionHeld = false;
  #storeError: string | null = null;
  #startedAt = 0;
  #stopped = false;
  readonly #visitorKinds: readonly AddressKind[];

  constructor(opts: KioskOptions) {
    super();
    this.config = opts.config;
    this.clock = opts.clock;
    this.scanner = opts.scanner;
    this.log = opts.logger ?? silentLogger;
    this.storePath = opts.storePath ?? join(opts.config.dataDir, STORE_FILE);
    this.#db = openDatabase(this.storePath);
    this.store = new SightingsStore(this.#db);
    const interrupted = this.store.closeInterrupted();
    if (interrupted > 0) this.log.warn({ sessions: interrupted }, 'closed sessions left open by an unclean stop');
    const s = opts.config.sightings;
    this.#visitorKinds = s.visitorKinds;
    this.pipeline = new SightingsPipeline({
      filter: s.filter,
      sessionGapS: s.sessionGapS,
      insideRssiDbm: s.insideRssiDbm,
      visitorKinds: s.visitorKinds,
      salts: this.store,
      firstSessionId: this.store.nextSessionId(),
      visits: s.visits,
    });
    this.pipeline.onVisits((records) => {
      this.store.queueVisits(records);
      this.emit('visits', records);
    });
    this.pipeline.onSessions((records) => {
      this.store.queueSessions(records);
      this.emit('sessions', records);
    });
    this.scanner.on('report', (r) => this.pipeline.ingest(r));
    this.scanner.on('state', (state) => {
      this.#radioState = state;
      this.log.info({ state }, 'radio state');
    });
    this.scanner.on('error', (err) => this.log.error({ err }, 'radio error'));
  }

  async start(): Promise<void> {
    this.#startedAt = this.clock.now();
    this.#housekeeping(this.clock.now());
    this.#timer = setInterval(() => this.#housekeeping(this.clock.now()), this.config.store.flushIntervalMs);
    await this.scanner.start();
    this.#radioState = 'poweredOn';
    this.log.info({ radio: this.scanner.name, store: this.storePath }, 'kiosk started');
  }

  /** One round of housekeeping at `now`; exposed for tests and replay. */
  #housekeeping(now: number): void {
    this.pipeline.tick(now);
    const s = this.config.sightings;
    if (now - this.#lastOccupancySample >= s.occupancySampleS * 1000) {
      this.#lastOccupancySample = now;
      const stats = this.pipeline.stats();
      this.store.queueOccupancy({ t: Math.round(now), inside: stats.occupancyNow, openSessions: stats.sessionsOpen, visits: stats.visitsNow ?? null });
    }
    try {
      if (now - this.#lastRetention >= this.config.retention.sweepIntervalS * 1000) {
        this.#lastRetention = now;
        // before the sightings' sweep: its WAL checkpoint takes these deletions too
        this.#recordRetention(now);
        this.#lastRetentionResult = this.store.applyRetention(now, this.config.retention.days);
        if (this.#lastRetentionResult.sessionsDeleted || this.#lastRetentionResult.saltsDestroyed) {
          this.log.info(this.#lastRetentionResult, 'retention applied');
        }
      }
      this.store.flush();
      this.#storeError = null;
    } catch (err) {
      this.#storeError = (err as Error).message;
      this.log.error({ err }, 'store write failed; will retry');
    }
    this.emit('tick', now);
  }

  /**
   * Check-in attestations (batched or not) and batch leaves past the period, whether or not
   * check-in and anchoring are on now. Only on a synchronized clock: one running ahead would
   * delete check-ins before they were anchored.
   */
  #recordRetention(now: number): void {
    const sync = this.clock.syncStatus();
    if (!sync.synced) {
      if (!this.#recordRetentionHeld) this.log.info({ clock: sync }, 'retention: check-in records kept until the clock is synchronized');
      this.#recordRetentionHeld = true;
      return;
    }
    this.#recordRetentionHeld = false;
    const cutoff = now - this.config.retention.days * DAY_MS;
    const cutoffS = Math.floor(cutoff / 1000);
    const batches = new BatchStore(this.#db);
    const result = this.#db.transaction((): RecordRetentionResult => {
      const attestations = new AttestationStore(this.#db).deleteBefore(cutoff);
      const leavesDeleted = batches.deleteLeavesOfBatchesBefore(cutoffS);
      return {
        attestationsDeleted: attestations.batched + attestations.unbatched,
        unbatchedAttestationsDeleted: attestations.unbatched,
        leavesForgotten: batches.pruneLeaves(cutoffS),
        leavesDeleted,
      };
    })();
    this.#lastRecordRetention = result;
    if (result.attestationsDeleted || result.leavesForgotten || result.leavesDeleted) this.log.info(result, 'retention applied to check-in records');
  }

  /** The store's database handle, for parts that keep their own tables in it (the batch outbox). */
  get database(): Database {
    return this.#db;
  }

  /** Run housekeeping now (tests, replay, and before a summary). */
  flushNow(): void {
    this.#housekeeping(this.clock.now());
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    try {
      await this.scanner.close();
    } catch (err) {
      this.log.warn({ err }, 'radio did not close cleanly');
    }
    this.pipeline.finish();
    try {
      this.store.flush();
    } catch (err) {
      this.log.error({ err }, 'final store write failed');
    }
    this.#db.close();
    this.log.info('kiosk stopped');
  }

  status(): KioskStatus {
    const now = this.clock.now();
    const sync = this.clock.syncStatus();
    const radio = this.scanner.stats();
    let sessions = -1;
    try {
      sessions = this.store.counts().sessions;
    } catch (err) {
      this.#storeError = (err as Error).message;
    }
    return {
      venue: { name: this.config.venue.name, geohash: this.config.venue.geohash },
      radio: { adapter: this.scanner.name, state: this.#radioState, reports: radio.reports, dropped: radio.dropped, restarts: radio.restarts },
      store: { path: this.storePath, ok: this.#storeError === null, lastError: this.#storeError, sessions, pendingWrites: this.store.pendingWrites, flushes: this.store.flushes },
      clock: { now: new Date(now).toISOString(), synced: sync.synced, source: sync.source, ...(sync.detail ? { detail: sync.detail } : {}) },
      sightings: this.pipeline.stats(),
      retention: {
        days: this.config.retention.days,
        lastRun: Number.isFinite(this.#lastRetention) ? new Date(this.#lastRetention).toISOString() : null,
        last: this.#lastRetentionResult,
        records: this.#lastRecordRetention,
      },
      uptimeS: Math.round((now - this.#startedAt) / 1000),
    };
  }

  /**
   * Occupancy now, its series over a window, and the dwell histogram of the window. `now` and
   * `peak` count visits (each device once, whatever addresses it rotated through; sessions
   * without a visit linker), `devicesNow` open sessions inside. `visits`: visitors (visits
   * overlapping) per UTC hour of the window and in the UTC day of `untilMs`, and the dwell
   * histogram of the visitors' closed visits that began in the window.
   */
  occupancy(sinceMs: number, untilMs: number) {
    const stats = this.pipeline.stats();
    const linker = this.pipeline.visits;
    const open = linker ? linker.openVisits(this.clock.now()).filter((v) => v.class === 'visitor') : [];
    const overlapping = (from: number, to: number) => open.filter((v) => v.lastSeen >= from && v.firstSeen <= to);
    const dayStart = Math.floor(untilMs / DAY_MS) * DAY_MS;
    return {
      now: this.pipeline.visitsNow,
      peak: stats.visitsPeak ?? stats.occupancyPeak,
      devicesNow: stats.occupancyNow,
      openSessions: stats.sessionsOpen,
      insideRssiDbm: this.config.sightings.insideRssiDbm,
      series: this.store.occupancySeries(sinceMs, untilMs),
      dwellHistogram: this.store.dwellHistogram(sinceMs, untilMs, this.#visitorKinds),
      visits: linker === null ? null : {
        linking: this.config.sightings.visits.enabled,
        visitorsToday: this.store.visitorsBetween(dayStart, untilMs) + overlapping(dayStart, untilMs).length,
        visitorsByHour: this.store.visitorsByHour(sinceMs, untilMs, overlapping(sinceMs, untilMs)),
        dwellHistogram: this.store.visitDwellHistogram(sinceMs, untilMs),
      },
    };
  }

  /** Distinct address hashes stored since a time: the distinct addresses seen per day. */
  distinctAddresses(sinceMs: number): number {
    return this.store.distinctAddressHashes(sinceMs);
  }

  get healthy(): boolean {
    return this.#storeError === null && this.#radioState === 'poweredOn';
  }
}
