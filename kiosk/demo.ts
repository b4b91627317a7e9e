/**
 * Demo mode: a complete kiosk on the simulated venue, with a real SQLite store (in a
 * temp dir unless one is given) and the real HTTP page. Runs until stopped, or for a
 * duration after which it summarizes what it saw, scored against the venue's truth.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ScaledClock } from '../core/clock.js';
import { parseConfig, type KioskConfigInput } from '../core/config.js';
import { silentLogger, type Logger } from '../core/log.js';
import { Kiosk } from './kiosk.js';
import { buildHttpApp } from './http/server.js';
import { createVirtualRadio, type VirtualRadio } from './virtual-radio.js';
import type { SightingsSummary } from './replay.js';
import { publishBeaconKey } from './beacon-service.js';
import { startDemoBeacon, type DemoBeacon, type DemoBeaconSummary } from './demo-beacon.js';
import type { VerifiedPosition } from './beacon-listener.js';
import { startDemoCheckin, type DemoCheckin, type DemoCheckinSummary } from './checkin/demo.js';
import { createTapCheckinHandler } from './checkin/tap.js';
import type { KioskKey } from './checkin/attestation-signer.js';
import { AttestationStore } from './checkin/records.js';
import { startEmbeddedChain, type EmbeddedChain } from './embedded-chain.js';
import { Anchoring } from './batcher/anchoring.js';
import { createOutboxChain } from './batcher/outbox-chain.js';
import { attestationRecordSource } from './batcher/attestation-source.js';
import { batchRoutes } from './http/batch-routes.js';
import { batchMetricSources } from './metrics.js';

export interface DemoOptions {
  seed?: number;
  /** Simulated seconds per wall second. Default 1. */
  speed?: number;
  port?: number;
  host?: string;
  dataDir?: string;
  capturePath?: string;
  /** How the venue reaches the kiosk: 'hci' (virtual HCI controller, noble) or 'serial' (simulated co-processor on a pty). Default 'hci'. */
  radio?: 'hci' | 'serial';
  logger?: Logger;
  config?: KioskConfigInput;
  /** How often (wall ms) the simulated phone taps the kiosk over BLE to check in; 0 = never. Default 3000. */
  tapEveryMs?: number;
  /** Every beacon position the demo's simulated phone verifies. */
  onBeaconPosition?: (p: VerifiedPosition) => void;
  /** The kiosk's attestation key (default: a fresh random one; anvil's dev key #1 works too). */
  kioskKey?: KioskKey;
  /** Simulated seconds between simulated visitors' QR check-ins; 0 = none. Default 30. */
  checkinVisitorEveryS?: number;
  /** Anchor batches on a chain (default true): anvil with its state in `<dataDir>/chain/`, or the node at `rpcUrl`. */
  chain?: boolean;
  /** An external EVM node holding anvil's dev accounts, instead of the embedded anvil. */
  rpcUrl?: string;
}

export interface DemoKiosk {
  kiosk: Kiosk;
  radio: VirtualRadio;
  app: FastifyInstance;
  url: string;
  dataDir: string;
  checkin: DemoCheckin;
  /** The batch outbox and its chain, when the demo anchors. */
  anchoring?: Anchoring;
  chain?: EmbeddedChain;
  summary(): DemoSummary;
  stop(): Promise<void>;
}

export interface DemoSummary extends SightingsSummary {
  seed: number;
  speed: number;
  dataDir: string;
  url: string;
  packetsOnAir: number;
  truth: { visitors: number; occupancyNow: number };
  beacon: (DemoBeaconSummary & { keyOnChain: 'published' | 'unchanged' | null }) | null;
  checkins: DemoCheckinSummary | null;
  /** Batches closed, and how many of them are confirmed on chain. */
  batches: number;
  batchesConfirmed: number;
  contracts: { registry?: string };
  rpcUrl: string | null;
}

export async function startDemo(opts: DemoOptions = {}): Promise<DemoKiosk> {
  const seed = opts.seed ?? 1;
  const speed = opts.speed ?? 1;
  const tempDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'waymark-demo-'));
  const logger = opts.logger ?? silentLogger;
  const configInput: KioskConfigInput = {
    ...opts.config,
    venue: { name: 'Demo Café', geohash: 'u4pruydqq', ...opts.config?.venue },
    dataDir,
    radio: { adapter: 'virtual' },
    store: { flushIntervalMs: 250, ...opts.config?.store },
    sightings: { occupancySampleS: 60, ...opts.config?.sightings },
    // every simulated visitor comes from 127.0.0.1
    checkin: { ...opts.config?.checkin, rateLimit: { checkinsPerMinute: 100_000, tokenReadsPerMinute: 100_000, ...opts.config?.checkin?.rateLimit } },
    // anvil mines a block per transaction, so one confirmation; a batch every 30 simulated seconds
    chain: { confirmations: 1, ...opts.config?.chain, ...(opts.rpcUrl ? { rpcUrl: opts.rpcUrl } : {}) },
    batch: { maxAgeS: 30, ...opts.config?.batch },
  };
  let chain: EmbeddedChain | undefined;
  if (opts.chain !== false) {
    const pre = parseConfig(configInput);
    try {
      chain = await startEmbeddedChain({
        dataDir, rpcUrl: pre.chain.rpcUrl, geohash: pre.venue.geohash, registry: pre.chain.registry, venueId: pre.chain.venueId, logger,
      });
    } catch (err) {
      if (tempDir) rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }
  const config = parseConfig(chain
    ? { ...configInput, chain: { ...configInput.chain, rpcUrl: chain.rpcUrl, chainId: chain.chainId, registry: chain.registry, venueId: chain.venueId } }
    : configInput);
  const clock = new ScaledClock(speed);
  const radio = await createVirtualRadio({ clock, seed, capturePath: opts.capturePath, transport: opts.radio ?? 'hci' });
  const kiosk = new Kiosk({ config, clock, scanner: radio.scanner, logger });
  const anchoring = chain && new Anchoring({
    kiosk,
    chain: createOutboxChain({ rpcUrl: chain.rpcUrl, registry: chain.registry, key: chain.kioskKey, chainId: chain.chainId, pollingIntervalMs: 100 }),
    venueId: chain.venueId,
    extraSources: [attestationRecordSource(new AttestationStore(kiosk.database))],
    sender: { pollMs: 250, backoffMinMs: 250, backoffMaxMs: 5_000 },
  });
  const startedAt = clock.now();
  let app: FastifyInstance | undefined;
  let beacon: DemoBeacon | undefined;
  let beaconKeyOnChain: 'published' | 'unchanged' | null = null;
  let checkin: DemoCheckin | undefined;
  try {
    await kiosk.start();
    await anchoring?.start();
    radio.start();
    checkin = startDemoCheckin({ config, clock, storePath: kiosk.storePath, kioskKey: opts.kioskKey ?? chain?.kioskKey, visitorEveryS: opts.checkinVisitorEveryS, logger });
    // BLE taps: a simulated phone held against the kiosk checks in over GATT every few seconds
    beacon = await startDemoBeacon({
      clock, kioskDeviceId: radio.deviceId, config, logger, onPosition: opts.onBeaconPosition,
      tapHandler: createTapCheckinHandler(checkin.service), tapEveryMs: opts.tapEveryMs ?? 3000,
    });
    if (chain) beaconKeyOnChain = await publishBeaconKey({ rpcUrl: chain.rpcUrl, registry: chain.registry, chainId: chain.chainId, privateKey: chain.kioskKey, beacon: beacon.beacon });
    const checkinStatus = checkin.service;
    app = await buildHttpApp(kiosk, {
      logger,
      statusExtras: () => ({ checkin: checkinStatus.status(), ...(anchoring ? { chain: anchoring.status() } : {}) }),
      plugins: [checkin.plugin, ...(anchoring ? [batchRoutes(anchoring.store)] : [])],
      metrics: [...(radio.serial?.radio.metricSources() ?? []), ...(anchoring ? batchMetricSources(() => anchoring.status()) : [])],
    });
    await app.listen({ port: opts.port ?? 8080, host: opts.host ?? '127.0.0.1' });
  } catch (err) {
    await app?.close();
    await checkin?.stop();
    await beacon?.stop();
    await radio.stop();
    await anchoring?.stop();
    await kiosk.stop();
    await chain?.stop();
    if (tempDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port ?? 8080;
  const url = `http://${opts.host && opts.host !== '0.0.0.0' ? opts.host : 'localhost'}:${port}/`;
  checkin!.startVisitors(url, speed);
  let stopped = false;
  let final: DemoSummary | undefined;

  const summary = (): DemoSummary => {
    if (final) return final;
    const now = clock.now();
    const stats = kiosk.pipeline.stats();
    const scan = radio.scanner.stats();
    const batches = anchoring?.status().batches;
    return {
      radio: radio.scanner.name,
      reports: stats.reports,
      dropped: { malformed: scan.dropped, rssi: stats.dropped.rssi },
      addresses: kiosk.distinctAddresses(startedAt - 1),
      sessions: stats.sessionsClosed,
      occupancyPeak: stats.occupancyPeak,
      occupancyNow: stats.occupancyNow,
      simulatedSeconds: Math.round((now - startedAt) / 1000),
      seed,
      speed,
      dataDir: tempDir ? '(temporary)' : dataDir,
      url,
      packetsOnAir: radio.packetsOnAir(),
      truth: {
        visitors: radio.venue.truth.visitsArrivingBetween(startedAt, now).length,
        occupancyNow: radio.venue.occupancyAt(now),
      },
      beacon: beacon ? { ...beacon.summary(), keyOnChain: beaconKeyOnChain } : null,
      checkins: checkin?.summary() ?? null,
      batches: batches?.total ?? 0,
      batchesConfirmed: batches?.confirmed ?? 0,
      contracts: chain ? { registry: chain.registry } : {},
      rpcUrl: chain?.rpcUrl ?? null,
    };
  };

  return {
    kiosk, radio, app, url, dataDir, summary, checkin: checkin!, anchoring, chain,
    async stop() {
      if (stopped) return;
      stopped = true;
      const before = summary();
      await app!.close();
      await checkin!.stop();
      await beacon?.stop();
      await radio.stop();
      await anchoring?.stop();
      const batches = anchoring?.status().batches;
      await kiosk.stop();
      await chain?.stop();
      // sessions still open were closed by the stop; commits in flight may have confirmed since
      final = { ...before, sessions: kiosk.pipeline.stats().sessionsClosed, packetsOnAir: radio.packetsOnAir(), batches: batches?.total ?? 0, batchesConfirmed: batches?.confirmed ?? 0 };
      if (tempDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
