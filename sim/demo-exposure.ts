/**
 * The demo's region authority and venue operator, with anvil's dev keys: partway through the
 * run the authority reports an exposure at the demo venue covering the recent check-ins, and
 * a while later the operator marks the venue cleaned, so the kiosk screen shows its exposure
 * banner and clears it again. Records the states the kiosk saw, for the demo's summary.
 */
import type { JsonRpcProvider } from 'ethers';
import type { Clock } from '../core/clock.js';
import { isWaymarkError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { connectProvider, registryClient } from '../contracts/client.js';
import { reportExposure } from '../contracts/actions/report-exposure.js';
import { markCleaned } from '../contracts/actions/mark-cleaned.js';
import { statusOf, type VenueStatus } from '../contracts/actions/status-of.js';
import type { VenueStatusFollower, VenueStatusView } from '../kiosk/venue-status.js';
import { devWallet } from './dev-chain.js';

export interface DemoExposureTiming {
  /** Simulated seconds after the demo's start when the authority reports (default 600). */
  reportAtS?: number;
  /** Simulated seconds after the start when the operator marks the venue cleaned (default 1200). */
  cleanAtS?: number;
  /** How far back the reported window reaches, simulated seconds (default 600). */
  windowS?: number;
}

export interface DemoExposureOptions extends DemoExposureTiming {
  rpcUrl: string;
  chainId: number;
  registry: string;
  venueId: number;
  /** The demo's simulated clock, and when the demo started on it (ms). */
  clock: Clock;
  startedAt: number;
  /** Simulated seconds per wall second. */
  speed: number;
  /** The kiosk's follower of its venue status: what it saw goes into the summary. */
  venueStatus?: VenueStatusFollower;
  logger?: Logger;
}

/** The authority's report as mined; times in Unix seconds of the demo's clock. */
export interface DemoExposureReport {
  venueId: number;
  fromTime: number;
  toTime: number;
  /** When the venue turns Clean by itself, unless cleaned first. */
  expiresAt: number;
  txHash: string;
}

export interface DemoExposureSummary {
  /** Demo-clock times (ISO) the report and the cleaning were mined; null if not (yet). */
  reportedAt: string | null;
  cleanedAt: string | null;
  window: { from: number; to: number } | null;
  /** The venue states the kiosk showed, in order (repeats collapsed). */
  statusSeen: VenueStatus[];
  lastError: string | null;
}

export interface DemoExposure {
  /** The report once made; a simulated wallet matches its check-ins against the window. */
  report(): DemoExposureReport | null;
  /** Called once the report is mined (at once if it already is); returns an unsubscribe. */
  onReport(listener: (report: DemoExposureReport) => void): () => void;
  summary(): DemoExposureSummary;
  stop(): Promise<void>;
}

export function startDemoExposure(opts: DemoExposureOptions): DemoExposure {
  const log = opts.logger ?? silentLogger;
  const reportAtS = opts.reportAtS ?? 600;
  const cleanAtS = opts.cleanAtS ?? 1200;
  const windowS = opts.windowS ?? 600;
  if (!(reportAtS >= 0 && cleanAtS > reportAtS && windowS >= 0)) {
    throw new RangeError(`exposure timing: need 0 <= reportAtS < cleanAtS and windowS >= 0, got ${reportAtS}, ${cleanAtS}, ${windowS}`);
  }
  const provider: JsonRpcProvider = connectProvider(opts.rpcUrl, { chainId: opts.chainId, pollingIntervalMs: 100 });
  const authority = registryClient(devWallet('authority', provider), opts.registry);
  const operator = registryClient(devWallet('operator', provider), opts.registry);
  const listeners = new Set<(report: DemoExposureReport) => void>();
  const s: DemoExposureSummary = { reportedAt: null, cleanedAt: null, window: null, statusSeen: [], lastError: null };
  let report: DemoExposureReport | null = null;
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  const timers: NodeJS.Timeout[] = [];

  const seen = (view: VenueStatusView) => {
    if (view.state && s.statusSeen.at(-1) !== view.state) s.statusSeen.push(view.state);
  };
  const unfollow = opts.venueStatus?.onChange(seen);
  if (opts.venueStatus) seen(opts.venueStatus.status());

  const nowS = () => Math.floor(opts.clock.now() / 1000);
  const failed = (what: string, err: unknown) => {
    s.lastError = `${what}: ${(err as Error).message}`;
    if (!stopped) log.warn({ err: (err as Error).message }, `demo ${what} failed`);
  };

  async function reportNow(): Promise<void> {
    const toTime = nowS();
    const fromTime = Math.max(Math.floor(opts.startedAt / 1000), toTime - windowS);
    try {
      const r = await reportExposure(authority, { venueId: opts.venueId, fromTime, toTime });
      report = { venueId: opts.venueId, fromTime, toTime, expiresAt: Number(r.expiresAt), txHash: r.txHash };
      s.reportedAt = new Date(opts.clock.now()).toISOString();
      s.window = { from: fromTime, to: toTime };
      log.info({ venueId: opts.venueId, fromTime, toTime, txHash: r.txHash }, 'demo: the region authority reported an exposure at the venue');
      for (const listener of listeners) {
        try {
          listener(report);
        } catch (err) {
          log.error({ err }, 'demo exposure listener failed');
        }
      }
    } catch (err) {
      failed('exposure report', err);
    }
  }

  async function cleanNow(): Promise<void> {
    try {
      // cleaning is for an Infected venue only (the registry refuses it otherwise)
      if ((await statusOf(operator, { venueId: opts.venueId })) !== 'Infected') {
        log.info({ venueId: opts.venueId }, 'demo: the venue is not infected; the operator has nothing to clean');
        return;
      }
      const r = await markCleaned(operator, { venueId: opts.venueId });
      s.cleanedAt = new Date(opts.clock.now()).toISOString();
      log.info({ venueId: opts.venueId, txHash: r.txHash }, 'demo: the venue operator marked the venue cleaned');
    } catch (err) {
      if (isWaymarkError(err, 'WAYMARK_ERR_CHAIN_CONFLICT')) log.info({ err: err.message }, 'demo: the venue was cleaned already');
      else failed('cleaning', err);
    }
  }

  const at = (simS: number, step: () => Promise<void>) => {
    const wallMs = Math.max(0, (opts.startedAt + simS * 1000 - opts.clock.now()) / opts.speed);
    const timer = setTimeout(() => {
      if (stopped) return;
      const p = step().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }, wallMs);
    timer.unref();
    timers.push(timer);
  };
  at(reportAtS, reportNow);
  at(cleanAtS, cleanNow);

  return {
    report: () => report,
    onReport(listener) {
      if (report) listener(report);
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    summary: () => ({ ...s, statusSeen: [...s.statusSeen], window: s.window ? { ...s.window } : null }),
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all(inFlight);
      unfollow?.();
      provider.destroy();
    },
  };
}
