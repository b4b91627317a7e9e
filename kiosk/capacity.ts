/**
 * The kiosk watches its venue's occupancy against the capacity policy in the registry
 * (`setCapacityPolicy`: above `capacity` people for at least `minMinutes`). Once the count
 * has stayed above the capacity that long it reports the crossing on chain
 * (`reportOverCapacity`: occupancy, since when, at what time); once it has stayed at or
 * below the capacity for `restoreAfterS` it reports the end (`reportCapacityRestored`). The
 * screen shows the venue as full while the count is above the capacity.
 *
 * The chain holds the state (`capacityOf(venue).overSince`): every poll reads it before
 * deciding, so a restart, a second kiosk of the venue or a lost transaction never makes a
 * report twice, and a report that failed is simply made again at the next poll. Nothing is
 * reported while the clock is not synced (the times are the kiosk's own).
 */
import { Wallet, type Provider } from 'ethers';
import { isWaymarkError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import { registryClient } from '../contracts/client.js';
import type { Kiosk } from './kiosk.js';
import { PollLoop, errorText } from './poll-loop.js';
import { capacityOf, reportCapacityRestored, reportOverCapacity, type CapacityOfReturnType, type CapacityCrossedReturnType } from '../contracts/actions/capacity.js';

/** What the watch needs of the registry: the venue's policy and state, and the two reports. */
export interface CapacityChain {
  read(): Promise<CapacityOfReturnType>;
  reportOver(p: { occupancy: number; since: number; at: number }): Promise<CapacityCrossedReturnType>;
  reportRestored(p: { occupancy: number; at: number }): Promise<CapacityCrossedReturnType>;
  close(): Promise<void>;
}

/** `venue.capacity` in GET /v1/status; times in Unix seconds (kiosk clock). */
export interface CapacityView {
  /** People; null while no policy is known (none set, or the chain not read yet). */
  capacity: number | null;
  minMinutes: number | null;
  /** The kiosk's count now (visits inside). */
  occupancy: number;
  /** Above the capacity now: the screen shows the venue as full. */
  full: boolean;
  /** Since when the count has been above the capacity (short dips ignored), null if it is not. */
  overSince: number | null;
  /** The crowding the registry holds (reported by this or another kiosk of the venue), null if none. */
  reported: { since: number; occupancy: number } | null;
  /** Crossings this kiosk reported since start. */
  crossingsReported: number;
  /** The last read or report failed: what is shown is the last known policy. */
  stale: boolean;
  lastError: string | null;
}

export interface CapacityWatchOptions {
  chain: CapacityChain;
  clock: Clock;
  /** The count the screen shows (visits inside). */
  occupancy: () => number;
  /** Wall ms between polls (default 15 s). */
  pollMs?: number;
  /** At or below the capacity this long ends the crowding; shorter dips do not (default 60 s). */
  restoreAfterS?: number;
  logger?: Logger;
  venueId?: number;
  /** Strings lastError must not show (the RPC URL). */
  secrets?: readonly string[];
}

export const DEFAULT_CAPACITY_POLL_MS = 15_000;
export const DEFAULT_RESTORE_AFTER_S = 60;

/** What one poll decided to send. */
export type CapacityAction =
  | { kind: 'none' }
  | { kind: 'over'; occupancy: number; since: number; at: number }
  | { kind: 'restored'; occupancy: number; at: number };

/** The kiosk's own streak: since when it counts above the capacity, and since when not. */
export interface CapacityStreak {
  overSince: number | null;
  belowSince: number | null;
}

/**
 * One step of the watch, pure: the new streak after counting `occupancy` at `now`, and the
 * report due given the registry's state.
 */
export function capacityStep(
  chain: CapacityOfReturnType,
  streak: CapacityStreak,
  occupancy: number,
  now: number,
  restoreAfterS: number,
): { streak: CapacityStreak; action: CapacityAction } {
  if (chain.capacity === 0) return { streak: { overSince: null, belowSince: null }, action: { kind: 'none' } };
  let { overSince, belowSince } = streak;
  if (occupancy > chain.capacity) {
    overSince ??= now;
    belowSince = null;
  } else {
    belowSince ??= now;
    if (now - belowSince >= restoreAfterS) overSince = null;
  }
  const next = { overSince, belowSince };
  if (chain.overSince === 0) {
    if (overSince !== null && occupancy > chain.capacity && now - overSince >= chain.minMinutes * 60) {
      return { streak: next, action: { kind: 'over', occupancy, since: overSince, at: now } };
    }
  } else if (overSince === null && occupancy <= chain.capacity && now >= chain.overSince) {
    return { streak: next, action: { kind: 'restored', occupancy, at: now } };
  }
  return { streak: next, action: { kind: 'none' } };
}

/** Reverts that mean another report got there first: take the chain's state and carry on. */
const ALREADY = new Set(['AlreadyOverCapacity', 'NotReportedOverCapacity']);

export class CapacityWatch {
  readonly #loop: PollLoop;
  readonly #chain: CapacityChain;
  readonly #clock: Clock;
  readonly #occupancy: () => number;
  readonly #restoreAfterS: number;
  readonly #log: Logger;
  readonly #venueId: number | undefined;
  readonly #secrets: readonly string[];
  #known: CapacityOfReturnType | undefined;
  #streak: CapacityStreak = { overSince: null, belowSince: null };
  #reported = 0;
  #lastError: string | null = null;

  constructor(opts: CapacityWatchOptions) {
    this.#chain = opts.chain;
    this.#clock = opts.clock;
    this.#occupancy = opts.occupancy;
    this.#restoreAfterS = opts.restoreAfterS ?? DEFAULT_RESTORE_AFTER_S;
    this.#log = opts.logger ?? silentLogger;
    this.#venueId = opts.venueId;
    this.#secrets = opts.secrets ?? [];
    this.#loop = new PollLoop(() => this.#poll(), opts.pollMs ?? DEFAULT_CAPACITY_POLL_MS);
    if (!(this.#restoreAfterS >= 0)) throw new RangeError(`restoreAfterS must be non-negative, got ${this.#restoreAfterS}`);
  }

  get pollMs(): number {
    return this.#loop.pollMs;
  }

  start(): void {
    this.#loop.start();
  }

  /** Polls now (joining a poll under way): reads the registry, counts, reports what is due. */
  async refresh(): Promise<CapacityView> {
    await this.#loop.run();
    return this.status();
  }

  status(): CapacityView {
    const k = this.#known;
    const occupancy = this.#occupancy();
    const capacity = k && k.capacity !== 0 ? k.capacity : null;
    return {
      capacity,
      minMinutes: capacity !== null ? k!.minMinutes : null,
      occupancy,
      full: capacity !== null && occupancy > capacity,
      overSince: capacity !== null ? this.#streak.overSince : null,
      reported: k && k.overSince !== 0 ? { since: k.overSince, occupancy: k.occupancy } : null,
      crossingsReported: this.#reported,
      stale: this.#lastError !== null || k === undefined,
      lastError: this.#lastError,
    };
  }

  async stop(): Promise<void> {
    if (await this.#loop.stop()) await this.#chain.close();
  }

  async #poll(): Promise<void> {
    if (this.#loop.stopped) return;
    try {
      this.#known = await this.#chain.read();
      const now = Math.floor(this.#clock.now() / 1000);
      const { streak, action } = capacityStep(this.#known, this.#streak, this.#occupancy(), now, this.#restoreAfterS);
      this.#streak = streak;
      if (action.kind !== 'none' && !this.#clock.syncStatus().synced) {
        this.#lastError = `clock not synced: the ${action.kind === 'over' ? 'crossing' : 'end of the crowding'} is reported once it is`;
        return;
      }
      if (action.kind !== 'none') await this.#report(action);
      this.#lastError = null;
    } catch (err) {
      const message = errorText(err, this.#secrets);
      if (this.#lastError !== message) this.#log.warn({ venueId: this.#venueId, err: message }, 'capacity: registry read or report failed; trying again at the next poll');
      this.#lastError = message;
    }
  }

  async #report(action: Exclude<CapacityAction, { kind: 'none' }>): Promise<void> {
    try {
      const r = action.kind === 'over'
        ? await this.#chain.reportOver(action)
        : await this.#chain.reportRestored(action);
      this.#reported++;
      this.#log.info({ venueId: this.#venueId, ...action, capacity: r.capacity, since: r.since, txHash: r.txHash, gasUsed: r.gasUsed.toString() },
        action.kind === 'over' ? 'capacity: venue reported above capacity' : 'capacity: venue reported back under capacity');
    } catch (err) {
      if (!(isWaymarkError(err) && ALREADY.has(String(err.details?.revert)))) throw err;
      this.#log.info({ venueId: this.#venueId, kind: action.kind }, 'capacity: already reported by another kiosk of the venue');
    }
    this.#known = await this.#chain.read();
  }
}

/**
 * The registry over the daemon's JSON-RPC provider (it stays the daemon's to close), reports
 * sent from the kiosk's account.
 */
export function chainCapacity(provider: Provider, opts: { registry: string; venueId: number; privateKey: string }): CapacityChain {
  const client = registryClient(new Wallet(opts.privateKey, provider), opts.registry);
  const venueId = opts.venueId;
  return {
    read: () => capacityOf(client, { venueId }),
    reportOver: (p) => reportOverCapacity(client, { venueId, ...p }),
    reportRestored: (p) => reportCapacityRestored(client, { venueId, ...p }),
    async close() {},
  };
}

export interface StartCapacityWatchOptions {
  /** Wall ms between polls (default 15 s). */
  pollMs?: number;
  restoreAfterS?: number;
  /** Instead of the registry on chain.rpcUrl (tests). */
  chain?: CapacityChain;
  /** The daemon's provider for chain.rpcUrl. */
  provider?: Provider;
}

/**
 * The watch for the daemon: on when anchoring is (chain.rpcUrl, registry, venueId and the
 * kiosk key), started; otherwise undefined. A venue without a policy costs one view call a poll.
 */
export function startCapacityWatch(kiosk: Kiosk, key: { privateKey: string } | undefined, opts: StartCapacityWatchOptions = {}): CapacityWatch | undefined {
  const { rpcUrl, registry, venueId } = kiosk.config.chain;
  if (!opts.chain && (!opts.provider || !registry || !venueId || !key)) return undefined;
  const watch = new CapacityWatch({
    chain: opts.chain ?? chainCapacity(opts.provider!, { registry: registry!, venueId: venueId!, privateKey: key!.privateKey }),
    clock: kiosk.clock,
    occupancy: () => kiosk.pipeline.visitsNow,
    pollMs: opts.pollMs,
    restoreAfterS: opts.restoreAfterS,
    logger: kiosk.log,
    venueId,
    secrets: rpcUrl ? [rpcUrl] : [],
  });
  watch.start();
  return watch;
}
