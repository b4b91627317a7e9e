/**
 * Check-in for `waymark kiosk start`: on when the kiosk has its key and the chain config
 * that fixes the attestation's EIP-712 domain (chain id, registry, venue). The clock guard
 * asks the system's time sync and the chain's latest block time; the HTTP/QR routes and the
 * BLE tap handler share one service on the kiosk's own store connection.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Kiosk } from '../kiosk.js';
import type { TapCheckinHandler } from '../../core/ports.js';
import type { KioskKey } from '../batcher/kiosk-key.js';
import { connectProvider } from '../../contracts/client.js';
import { checkinRoutes } from '../http/checkin-routes.js';
import { CheckinService } from './service.js';
import { ClockGuard, chainTimeProbe, systemSyncProbe, type ChainHealth } from './clock-guard.js';
import { createTapCheckinHandler } from './tap.js';

export interface KioskCheckin {
  service: CheckinService;
  plugin: FastifyPluginAsync;
  tapHandler: TapCheckinHandler;
  stop(): Promise<void>;
}

export function startKioskCheckin(kiosk: Kiosk, key: KioskKey | undefined): KioskCheckin | undefined {
  const { config, log } = kiosk;
  const missing = [
    key ? undefined : 'the kiosk key (chain.keyFile)',
    config.chain.registry ? undefined : 'chain.registry',
    config.chain.venueId ? undefined : 'chain.venueId',
    config.chain.chainId ? undefined : 'chain.chainId',
  ].filter(Boolean);
  if (missing.length > 0 || !key) {
    log.info({ missing }, 'check-in is off (an attestation needs the kiosk key and its chain domain)');
    return undefined;
  }
  let health: ChainHealth | undefined;
  const provider = config.chain.rpcUrl ? connectProvider(config.chain.rpcUrl, { chainId: config.chain.chainId }) : undefined;
  const probes = [systemSyncProbe()];
  if (provider) {
    const chain = { latestBlockTime: async () => (await provider.getBlock('latest'))!.timestamp };
    probes.push(chainTimeProbe(chain, config.checkin.chainClockToleranceS, (h) => (health = h)));
  }
  const clockGuard = new ClockGuard({ clock: kiosk.clock, probes, logger: log });
  clockGuard.start();
  const service = new CheckinService({
    db: kiosk.database,
    clock: kiosk.clock,
    key: key.privateKey,
    chainId: config.chain.chainId!,
    registry: config.chain.registry!,
    venueId: config.chain.venueId!,
    geohash: config.venue.geohash,
    settings: config.checkin,
    clockGuard,
    chainHealth: () => health,
    logger: log,
  });
  const plugin: FastifyPluginAsync = async (app) => {
    await app.register(checkinRoutes, { service, venueName: config.venue.name, publicUrl: config.checkin.publicUrl, rateLimit: config.checkin.rateLimit });
  };
  return {
    service,
    plugin,
    tapHandler: createTapCheckinHandler(service),
    async stop() {
      clockGuard.stop();
      provider?.destroy();
    },
  };
}
