/**
 * The clock guard, the kiosk's one clock truth: a Raspberry Pi has no real-time clock, so
 * the kiosk signs nothing with a time in it until its clock is known to be right — systemd
 * reports NTP sync, or the chain's latest block time agrees with it within a tolerance. The
 * guard is itself a Clock: the daemon hands it to every part (beacons, check-ins, batches),
 * so they all read the same sync status.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { WaymarkError } from '../core/errors.js';
import type { Clock, ClockSyncSource, ClockSyncStatus } from '../core/clock.js';
import type { Chain } from '../core/ports.js';
import { silentLogger, type Logger } from '../core/log.js';
import { DEFAULT_PATHS } from '../core/paths.js';

/** systemd-timesyncd touches this file once the clock is synchronized. */
export const TIMESYNC_FLAG_FILE = DEFAULT_PATHS.timesyncFlag;

export interface ClockProbeResult {
  synced: boolean;
  detail: string;
}

export interface ClockSyncProbe {
  readonly source: ClockSyncSource;
  check(nowMs: number): Promise<ClockProbeResult>;
}

/** `timedatectl show -p NTPSynchronized --value`; undefined when timedatectl is missing. */
export function readTimedatectl(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { timeout: 2000 }, (err, stdout) => {
      resolve(err ? undefined : stdout.trim());
    });
  });
}

/** The system's own sync status: the timesyncd flag file, else timedatectl. */
export function systemSyncProbe(opts: { flagFile?: string; timedatectl?: () => Promise<string | undefined> } = {}): ClockSyncProbe {
  const flagFile = opts.flagFile ?? TIMESYNC_FLAG_FILE;
  const timedatectl = opts.timedatectl ?? readTimedatectl;
  return {
    source: 'system',
    async check() {
      if (existsSync(flagFile)) return { synced: true, detail: `${flagFile} present` };
      const answer = await timedatectl();
      if (answer === undefined) return { synced: false, detail: `no ${flagFile} and no timedatectl` };
      return { synced: answer === 'yes', detail: `timedatectl NTPSynchronized=${answer}` };
    },
  };
}

export interface ChainHealth {
  ok: boolean;
  /** Latest block time, Unix seconds. */
  blockTime?: number;
  /** Kiosk clock minus block time, seconds. */
  skewS?: number;
  error?: string;
  checkedAt: string;
}

/** Agreement with the chain's latest block time within `toleranceS`; also reports chain health. */
export function chainTimeProbe(chain: Pick<Chain, 'latestBlockTime'>, toleranceS: number, onHealth?: (h: ChainHealth) => void): ClockSyncProbe {
  return {
    source: 'chain',
    async check(nowMs) {
      const checkedAt = new Date(nowMs).toISOString();
      try {
        const blockTime = await chain.latestBlockTime();
        const skewS = Math.round(nowMs / 1000 - blockTime);
        onHealth?.({ ok: true, blockTime, skewS, checkedAt });
        return { synced: Math.abs(skewS) <= toleranceS, detail: `clock ${skewS >= 0 ? '+' : ''}${skewS} s from the latest block (tolerance ${toleranceS} s)` };
      } catch (err) {
        onHealth?.({ ok: false, error: (err as Error).message, checkedAt });
        return { synced: false, detail: `chain unreachable: ${(err as Error).message}` };
      }
    },
  };
}

export interface ClockGuardOptions {
  clock: Clock;
  /** None: the clock's own syncStatus() decides (tests, the simulated demo clock). */
  probes?: ClockSyncProbe[];
  refreshMs?: number;
  logger?: Logger;
}

export interface ClockGuardStatus extends ClockSyncStatus {
  checkedAt: string | null;
}

export class ClockGuard implements Clock {
  readonly #clock: Clock;
  readonly #probes: ClockSyncProbe[];
  readonly #refreshMs: number;
  readonly #log: Logger;
  #status: ClockGuardStatus;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: ClockGuardOptions) {
    this.#clock = opts.clock;
    this.#probes = opts.probes ?? [];
    this.#refreshMs = opts.refreshMs ?? 30_000;
    this.#log = opts.logger ?? silentLogger;
    this.#status = this.#probes.length === 0
      ? { ...this.#clock.syncStatus(), checkedAt: null }
      : { synced: false, source: 'none', detail: 'not checked yet', checkedAt: null };
  }

  /** The underlying clock's time. */
  now(): number {
    return this.#clock.now();
  }

  /** The Clock port's view of status(). */
  syncStatus(): ClockSyncStatus {
    const { checkedAt: _, ...sync } = this.status();
    return sync;
  }

  /** The latest known status: the probes' verdict, or without probes the clock's own status at this moment. */
  status(): ClockGuardStatus {
    if (this.#probes.length === 0) return { ...this.#clock.syncStatus(), checkedAt: null };
    return this.#status;
  }

  /** Asks every probe (in order, stopping at the first that reports sync). */
  async refresh(): Promise<ClockGuardStatus> {
    if (this.#probes.length === 0) return this.status();
    const now = this.#clock.now();
    const details: string[] = [];
    let next: ClockGuardStatus | undefined;
    for (const probe of this.#probes) {
      const r = await probe.check(now).catch((err: Error) => ({ synced: false, detail: err.message }));
      details.push(`${probe.source}: ${r.detail}`);
      if (r.synced) {
        next = { synced: true, source: probe.source, detail: r.detail, checkedAt: new Date(now).toISOString() };
        break;
      }
    }
    next ??= { synced: false, source: 'none', detail: details.join('; ') || 'no sync source', checkedAt: new Date(now).toISOString() };
    if (next.synced !== this.#status.synced) this.#log[next.synced ? 'info' : 'warn']({ clock: next }, next.synced ? 'clock synchronized: check-ins enabled' : 'clock not synchronized: check-ins paused');
    this.#status = next;
    return this.status();
  }

  /** Throws WAYMARK_ERR_CLOCK_UNSYNCED unless the clock is known to be synced. */
  assertSynced(): void {
    const s = this.status();
    if (!s.synced) throw new WaymarkError('WAYMARK_ERR_CLOCK_UNSYNCED', `refusing to attest (${s.detail ?? s.source})`, { details: { source: s.source } });
  }

  start(): void {
    if (this.#probes.length === 0 || this.#timer) return;
    void this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.#refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
