/**
 * Time for every part of the kiosk. Domain code takes a Clock instead of calling
 * Date.now(), so tests and the accelerated demo can drive time.
 */

export type ClockSyncSource = 'system' | 'chain' | 'manual' | 'simulated' | 'none';

export interface ClockSyncStatus {
  synced: boolean;
  source: ClockSyncSource;
  detail?: string;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  syncStatus(): ClockSyncStatus;
}

/**
 * The system clock. It does not know whether it is right: a Raspberry Pi has no RTC, so
 * it says "not checked" and the kiosk daemon's clock guard (kiosk/clock-guard.ts) asks
 * systemd's time sync and the chain before anything signs a time.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  syncStatus: () => ({ synced: false, source: 'none', detail: 'system clock not checked (the kiosk daemon asks timesync and the chain)' }),
};

/** A clock that only moves when told to; for tests and replay. */
export class ManualClock implements Clock {
  #now: number;
  #sync: ClockSyncStatus = { synced: true, source: 'manual' };

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  set(ms: number): void {
    this.#now = ms;
  }

  advance(ms: number): number {
    this.#now += ms;
    return this.#now;
  }

  setSyncStatus(status: ClockSyncStatus): void {
    this.#sync = status;
  }

  syncStatus(): ClockSyncStatus {
    return this.#sync;
  }
}

/** Wall time scaled by `speed` from a start point: the demo's simulated time. */
export class ScaledClock implements Clock {
  readonly #startReal: number;
  readonly #startSim: number;

  constructor(readonly speed: number, startSimMs = Date.now()) {
    this.#startReal = performance.now();
    this.#startSim = startSimMs;
  }

  now(): number {
    return this.#startSim + (performance.now() - this.#startReal) * this.speed;
  }

  syncStatus(): ClockSyncStatus {
    return { synced: true, source: 'simulated', detail: `speed x${this.speed}` };
  }
}

export const DAY_MS = 86_400_000;

/** The UTC day number (days since the epoch) a time falls in. */
export function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}
