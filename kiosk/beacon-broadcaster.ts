/**
 * Broadcasts the kiosk's signed positioning beacon through any Advertiser: at each
 * epoch it takes the newly signed frame's advertising pages and cycles through them, one
 * page per dwell, so a phone collects every fragment within the epoch; an advertiser with
 * extended advertising gets the whole frame in one PDU instead. It stops
 * advertising while the clock is not synced (a beacon with a wrong epoch only misleads)
 * and restarts with backoff after advertising errors and adapter resets.
 */
import type { Advertiser, RadioState } from '../core/ports.js';
import type { Clock } from '../core/clock.js';
import { isWaymarkError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { KioskBeacon, BeaconEpoch } from '../beacon/kiosk-beacon.js';

export interface BeaconBroadcasterOptions {
  advertiser: Advertiser;
  beacon: KioskBeacon;
  clock: Clock;
  /** Advertising interval, ms (20..10240). Default 100. */
  intervalMs?: number;
  /** How long each page stays on air before the next, wall ms. Default 2 intervals. */
  pageDwellMs?: number;
  /** First retry delay after an error, doubling up to maxBackoffMs. Default 500. */
  backoffMs?: number;
  maxBackoffMs?: number;
  logger?: Logger;
}

export interface BeaconBroadcasterStats {
  onAir: boolean;
  epoch: number | null;
  epochs: number;
  pageSwitches: number;
  errors: number;
  recoveries: number;
  lastError: string | null;
  /** Why the beacon is off air, when it is. */
  paused: string | null;
}

export class BeaconBroadcaster {
  readonly #advertiser: Advertiser;
  readonly beacon: KioskBeacon;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #pageDwellMs: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #onAir = false;
  #current: BeaconEpoch | undefined;
  #page = 0;
  #failures = 0;
  #stats = { epochs: 0, pageSwitches: 0, errors: 0, recoveries: 0 };
  #lastError: string | null = null;
  #paused: string | null = null;

  constructor(opts: BeaconBroadcasterOptions) {
    this.#advertiser = opts.advertiser;
    this.beacon = opts.beacon;
    this.#clock = opts.clock;
    this.#intervalMs = opts.intervalMs ?? 100;
    if (!(this.#intervalMs >= 20 && this.#intervalMs <= 10_240)) throw new RangeError(`intervalMs must be 20..10240, got ${this.#intervalMs}`);
    this.#pageDwellMs = opts.pageDwellMs ?? 2 * this.#intervalMs;
    this.#backoffMs = opts.backoffMs ?? 500;
    this.#maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.#log = opts.logger ?? silentLogger;
    this.#advertiser.on('error', this.#onError);
    this.#advertiser.on('state', this.#onState);
  }

  /** Start broadcasting; resolves once the first page is on air (or the beacon is paused). */
  async start(): Promise<void> {
    this.#running = true;
    await this.#step();
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#advertiser.off('error', this.#onError);
    this.#advertiser.off('state', this.#onState);
    if (this.#onAir) {
      this.#onAir = false;
      await this.#advertiser.stop().catch(() => {});
    }
  }

  stats(): BeaconBroadcasterStats {
    return { onAir: this.#onAir, epoch: this.#current?.epoch ?? null, ...this.#stats, lastError: this.#lastError, paused: this.#paused };
  }

  /** The frame on air now (also the GATT characteristic value). */
  currentFrame(): Uint8Array | undefined {
    return this.#current?.frame;
  }

  /** Put the right page on air, then schedule the next step. */
  async #step(): Promise<void> {
    if (!this.#running) return;
    let delay = this.#pageDwellMs;
    try {
      const now = this.#clock.now();
      const epoch = this.beacon.current(this.#clock);
      const newEpoch = epoch.epoch !== this.#current?.epoch;
      if (newEpoch) {
        this.#current = epoch;
        this.#page = 0;
        this.#stats.epochs++;
      } else {
        this.#page = (this.#page + 1) % epoch.pages.length;
      }
      if (this.#extended()) {
        // one PDU carries the whole signed frame: set it once per epoch
        if (newEpoch || !this.#onAir) await this.#advertiser.setData(epoch.extended);
      } else {
        const page = epoch.pages[this.#page]!;
        await this.#advertiser.setData(page.advertisement, page.scanResponse);
        this.#stats.pageSwitches++;
      }
      if (!this.#onAir) {
        await this.#advertiser.start(this.#intervalMs);
        this.#onAir = true;
        if (this.#failures > 0 || this.#paused) this.#stats.recoveries++;
        this.#log.info({ epoch: epoch.epoch }, 'beacon on air');
      }
      this.#failures = 0;
      this.#paused = null;
      // never let a page run past the epoch's end
      const untilEpochEnd = (epoch.endMs - now) / this.#clockRate();
      if (untilEpochEnd > 0 && untilEpochEnd < delay) delay = Math.max(1, untilEpochEnd);
    } catch (err) {
      delay = await this.#handleFailure(err);
    }
    if (this.#running) this.#timer = setTimeout(() => void this.#step(), delay);
  }

  async #handleFailure(err: unknown): Promise<number> {
    this.#stats.errors++;
    this.#lastError = (err as Error)?.message ?? String(err);
    if (isWaymarkError(err, 'WAYMARK_ERR_CLOCK_UNSYNCED')) {
      this.#paused = 'clock not synchronized';
    } else {
      this.#failures++;
      this.#paused = 'advertising failed';
    }
    this.#log.warn({ err: this.#lastError, paused: this.#paused }, 'beacon off air; will retry');
    if (this.#onAir) {
      this.#onAir = false;
      await this.#advertiser.stop().catch(() => {});
    }
    return Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** Math.max(0, this.#failures - 1));
  }

  /** Controllers with extended advertising (the serial co-processor) take the single-PDU frame. */
  #extended(): boolean {
    return (this.#advertiser as { extendedAdvertising?: boolean }).extendedAdvertising === true;
  }

  /** Simulated clocks run faster than wall time; epoch ends are in clock ms. */
  #clockRate(): number {
    const speed = (this.#clock as { speed?: number }).speed;
    return typeof speed === 'number' && speed > 0 ? speed : 1;
  }

  #onError = (err: Error): void => {
    // bleno reports a refused advertisement this way instead of failing the call
    this.#stats.errors++;
    this.#lastError = err.message;
    this.#onAir = false;
    this.#failures++;
    this.#paused = 'advertising failed';
    this.#reschedule(Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** (this.#failures - 1)));
  };

  #onState = (state: RadioState): void => {
    if (state === 'poweredOn') {
      // the adapter came back (reset, replug): re-apply at once
      this.#onAir = false;
      this.#reschedule(0);
    } else if (state === 'poweredOff' || state === 'resetting') {
      this.#onAir = false;
      this.#paused = `adapter ${state}`;
    }
  };

  #reschedule(delay: number): void {
    if (!this.#running) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#step(), delay);
  }
}
