/**
 * Check-in in demo mode: a check-in service with a demo kiosk key on the demo store, its
 * HTTP routes, and simulated visitors who check in through the QR path over real HTTP with
 * the visitor SDK, verifying every attestation they get.
 */
import { Wallet } from 'ethers';
import type { FastifyPluginAsync } from 'fastify';
import type { Clock } from '../../core/clock.js';
import type { KioskConfig } from '../../core/config.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { openDatabase, type Database } from '../store/database.js';
import { checkInOverHttp } from '../../beacon/visitor/client.js';
import { checkinRoutes } from '../http/checkin-routes.js';
import { CheckinService } from './service.js';
import type { KioskKey } from './attestation-signer.js';

/** Where the registry lands when anvil's dev account #0 deploys it first on a fresh chain. */
export const DEMO_REGISTRY = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
export const DEMO_CHAIN_ID = 31337;

export interface DemoCheckinOptions {
  config: KioskConfig;
  clock: Clock;
  storePath: string;
  /** Default: a fresh random key. */
  kioskKey?: KioskKey;
  /** Simulated seconds between simulated visitors' check-ins; 0 = none. Default 30. */
  visitorEveryS?: number;
  logger?: Logger;
}

export interface DemoCheckinSummary {
  kiosk: string;
  attested: number;
  verified: number;
  failed: number;
  lastError: string | null;
}

export interface DemoCheckin {
  service: CheckinService;
  plugin: FastifyPluginAsync;
  /** Starts the simulated visitors against the kiosk's base URL. */
  startVisitors(url: string, speed: number): void;
  summary(): DemoCheckinSummary;
  stop(): Promise<void>;
}

export function startDemoCheckin(opts: DemoCheckinOptions): DemoCheckin {
  const { config } = opts;
  const logger = opts.logger ?? silentLogger;
  const db: Database = openDatabase(opts.storePath);
  const service = new CheckinService({
    db,
    clock: opts.clock,
    key: opts.kioskKey ?? Wallet.createRandom(),
    chainId: config.chain.chainId ?? DEMO_CHAIN_ID,
    registry: config.chain.registry ?? DEMO_REGISTRY,
    venueId: config.chain.venueId ?? 1,
    geohash: config.venue.geohash,
    settings: config.checkin,
    logger,
  });
  const plugin: FastifyPluginAsync = async (app) => {
    await app.register(checkinRoutes, { service, venueName: config.venue.name, publicUrl: config.checkin.publicUrl, rateLimit: config.checkin.rateLimit });
  };
  const counts: DemoCheckinSummary = { kiosk: service.signer.address, attested: 0, verified: 0, failed: 0, lastError: null };
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  return {
    service,
    plugin,
    startVisitors(url, speed) {
      const everyS = opts.visitorEveryS ?? 30;
      if (everyS <= 0) return;
      timer = setInterval(() => {
        if (inFlight) return;
        inFlight = checkInOverHttp(url)
          .then(() => {
            counts.attested++;
            counts.verified++;
          })
          .catch((err: Error) => {
            counts.failed++;
            counts.lastError = err.message;
            logger.warn({ err }, 'simulated visitor could not check in');
          })
          .finally(() => {
            inFlight = undefined;
          });
      }, Math.max(100, (everyS * 1000) / speed));
      timer.unref();
    },
    summary: () => ({ ...counts }),
    async stop() {
      clearInterval(timer);
      await inFlight;
      db.close();
    },
  };
}
