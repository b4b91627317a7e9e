/**
 * The demo's visitors who check in through the QR path: over real HTTP with the visitor
 * SDK, verifying every attestation they get, one every few simulated seconds.
 */
import { checkInOverHttp } from '../beacon/visitor/client.js';
import { matchExposures, type ExposureReport, type VisitorCheckin } from '../beacon/visitor/exposure.js';
import { silentLogger, type Logger } from '../core/log.js';

/** Where the registry lands when anvil's dev account #0 deploys it first on a fresh chain. */
export const DEMO_REGISTRY = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
export const DEMO_CHAIN_ID = 31337;

export interface DemoCheckinSummary {
  kiosk: string;
  attested: number;
  verified: number;
  failed: number;
  lastError: string | null;
}

export interface DemoVisitors {
  summary(): DemoCheckinSummary;
  /**
   * Each visitor's wallet matches the public reports against its own check-in, as a phone
   * does (beacon/visitor/exposure.ts): how many visitors a report warns, and how many not.
   */
  notify(reports: readonly ExposureReport[]): { warned: number; notWarned: number };
  stop(): Promise<void>;
}

export interface DemoVisitorsOptions {
  /** The kiosk's base URL. */
  url: string;
  /** Simulated seconds per wall second. */
  speed: number;
  /** The kiosk's attestation address (for the summary). */
  kiosk: string;
  /** Simulated seconds between check-ins; 0 = none. Default 30. */
  everyS?: number;
  logger?: Logger;
}

export function startDemoVisitors(opts: DemoVisitorsOptions): DemoVisitors {
  const logger = opts.logger ?? silentLogger;
  const counts: DemoCheckinSummary = { kiosk: opts.kiosk, attested: 0, verified: 0, failed: 0, lastError: null };
  const everyS = opts.everyS ?? 30;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  // one check-in per simulated visitor, kept only in that visitor's wallet
  const wallets: VisitorCheckin[] = [];
  if (everyS > 0) {
    timer = setInterval(() => {
      if (inFlight) return;
      inFlight = checkInOverHttp(opts.url)
        .then(({ attestation }) => {
          counts.attested++;
          counts.verified++;
          const m = attestation.typedData.message;
          wallets.push({ id: attestation.id, venueId: Number(m.venueId), geohash: m.geohash, time: Number(m.time) });
        })
        .catch((err: Error) => {
          counts.failed++;
          counts.lastError = err.message;
          logger.warn({ err: err.message }, 'simulated visitor could not check in');
        })
        .finally(() => {
          inFlight = undefined;
        });
    }, Math.max(100, (everyS * 1000) / opts.speed));
    timer.unref();
  }
  return {
    summary: () => ({ ...counts }),
    notify(reports) {
      const warned = new Set(matchExposures(wallets, reports).map((m) => m.checkinId)).size;
      return { warned, notWarned: wallets.length - warned };
    },
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
