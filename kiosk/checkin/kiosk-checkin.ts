/**
 * Check-in for the kiosk daemon: on when the kiosk has its key and the chain config that
 * fixes the attestation's EIP-712 domain (chain id, registry, venue). The HTTP/QR routes and
 * the BLE tap handler share one service on the kiosk's own store connection, and the
 * daemon's clock guard decides whether the clock may be signed with.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Kiosk } from '../kiosk.js';
import type { TapCheckinHandler } from '../../core/ports.js';
import type { KioskKey } from '../../contracts/kiosk-key.js';
import { checkinRoutes } from '../http/checkin-routes.js';
import { CheckinService } from './service.js';
import type { ChainHealth, ClockGuard } from '../clock-guard.js';
import { createTapCheckinHandler } from './tap.js';
import { kioskDwellFigure } from './dwell-figure.js';

export interface KioskCheckin {
  service: CheckinService;
  plugin: FastifyPluginAsync;
  tapHandler: TapCheckinHandler;
}

export function startKioskCheckin(
  kiosk: Kiosk,
  key: KioskKey | undefined,
  opts: { clockGuard: ClockGuard; chainHealth?: () => ChainHealth | undefined; publicUrl: () => string | undefined },
): KioskCheckin | undefined {
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
  const service = new CheckinService({
    db: kiosk.database,
    clock: opts.clockGuard,
    key: key.privateKey,
    chainId: config.chain.chainId!,
    registry: config.chain.registry!,
    venueId: config.chain.venueId!,
    geohash: config.venue.geohash,
    settings: config.checkin,
    clockGuard: opts.clockGuard,
    chainHealth: opts.chainHealth,
    logger: log,
  });
  const plugin: FastifyPluginAsync = async (app) => {
    await app.register(checkinRoutes, {
      service, venueName: config.venue.name, publicUrl: opts.publicUrl, rateLimit: config.checkin.rateLimit, dwellMedianS: kioskDwellFigure(kiosk),
    });
  };
  return { service, plugin, tapHandler: createTapCheckinHandler(service) };
}
