/**
 * The kiosk daemon's one composition root. Given a config, a clock and a radio (real
 * adapters from `waymark kiosk start`, simulated ones from `waymark demo` and the tests), it
 * wires the clock guard, the sightings store, anchoring, check-in, the beacon and its GATT
 * service, and the HTTP server, runs the start-up checks, and stops everything in reverse
 * order — on any failure during start, or when asked.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { WaymarkError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { KioskConfig } from '../core/config.js';
import { silentLogger, type Logger } from '../core/log.js';
import { ENV } from '../core/paths.js';
import { toHex } from '../beacon/index.js';
import { connectProvider } from '../contracts/client.js';
import { Kiosk } from './kiosk.js';
import { ClockGuard, chainTimeProbe, systemSyncProbe, type ChainHealth, type ClockSyncProbe } from './clock-guard.js';
import type { RadioAdapters } from './radio/adapters.js';
import { startGattCheckin, type GattCheckinService } from './radio/gatt-checkin.js';
import { startKioskCheckin, type KioskCheckin } from './checkin/kiosk-checkin.js';
import { startNfcCheckin, type NfcCheckinOutcome } from './checkin/nfc.js';
import { beaconKeyPath, createBeaconBroadcaster, publishBeaconKey } from './beacon-service.js';
import { assertPrivateFile } from '../core/private-files.js';
import type { BeaconBroadcaster } from './beacon-broadcaster.js';
import { startKioskAnchoring, loadConfiguredKioskKey, type KioskAnchoringOptions } from './batcher/kiosk-anchoring.js';
import type { Anchoring } from './batcher/anchoring.js';
import { startVenueStatus, type VenueStatusFollower } from './venue-status.js';
import { startCapacityWatch, type CapacityWatch, type StartCapacityWatchOptions } from './capacity.js';
import { startCommunityReporter, type CommunityReporter } from './community-reporter.js';
import { kioskKeyFile, type KioskKey } from '../contracts/kiosk-key.js';
import { batchRoutes } from './http/batch-routes.js';
import { kioskContactsRoutes } from './http/contacts-routes.js';
import { buildHttpApp } from './http/server.js';
import { walletOrigins } from './http/wallet-routes.js';
import { batchMetricSources } from './metrics.js';
import { readDeviceCertificate, type StoredDeviceCertificate } from '../contracts/device-certificate.js';
import { kioskFiles } from '../core/data-dir.js';

export interface KioskDaemonOptions {
  config: KioskConfig;
  /** The time source (the system clock, or the demo's scaled clock); the daemon guards it. */
  clock: Clock;
  radio: RadioAdapters;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** The kiosk key; default: loaded from chain.keyFile when that file exists. */
  key?: KioskKey;
  /**
   * Where clock sync comes from. Default: systemd's time sync, then the chain's latest block
   * time (when chain.rpcUrl is set). An empty list trusts the clock's own syncStatus() (the
   * demo's simulated clock).
   */
  clockProbes?: ClockSyncProbe[];
  /** Anchoring tuning (the demo's fast chain). */
  anchoring?: Pick<KioskAnchoringOptions, 'pollingIntervalMs' | 'sender'>;
  /** How often the venue's exposure status is read from the registry, wall ms (default 15 s; the demo's fast chain polls faster). */
  venueStatus?: { pollMs?: number };
  /** The capacity watch's tuning (the demo polls faster and ends crowding sooner). */
  capacity?: Pick<StartCapacityWatchOptions, 'pollMs' | 'restoreAfterS'>;
  /** How often the community reporter polls, wall ms (default 60 s). */
  community?: { pollMs?: number };
  /** Publish the beacon key in the registry at start (default true when anchoring is on). */
  publishBeaconKey?: boolean;
  /** Without checkin.publicUrl, put the daemon's own listening URL in the QR code (the demo, on one machine). */
  publicUrlFromListenAddress?: boolean;
  /** Sees every NFC tap check-in's outcome (attestation or refusal code): tests and the demo. */
  onNfcCheckin?: (outcome: NfcCheckinOutcome) => void;
}

export interface KioskDaemon {
  readonly config: KioskConfig;
  readonly kiosk: Kiosk;
  /** The guarded clock every part signs with. */
  readonly clock: ClockGuard;
  readonly radio: RadioAdapters;
  readonly anchoring?: Anchoring;
  /** The venue's exposure status followed in the registry (when the chain and venue are configured). */
  readonly venueStatus?: VenueStatusFollower;
  /** The venue's occupancy against its capacity policy in the registry (when anchoring is on). */
  readonly capacity?: CapacityWatch;
  /** The hourly anonymous community report (when community.reportUrl is set and anchoring is on). */
  readonly community?: CommunityReporter;
  readonly checkin?: KioskCheckin;
  readonly beacon?: BeaconBroadcaster;
  readonly gatt?: GattCheckinService;
  readonly app: FastifyInstance;
  /** Base URL of the HTTP server (on the address it listens on; `localhost` for a wildcard). */
  readonly url: string;
  /** Settles with the beacon key's registry result once publishing was tried (null when not tried). */
  readonly beaconKeyPublished: Promise<'published' | 'unchanged' | null>;
  /** Stops every part in reverse start order; safe to call twice. */
  stop(): Promise<void>;
}

/** Starts the kiosk. On failure, whatever had started is stopped again before the error is thrown. */
export async function startKioskDaemon(opts: KioskDaemonOptions): Promise<KioskDaemon> {
  const { config, radio } = opts;
  const logger = opts.logger ?? silentLogger;
  const stack = new ShutdownStack(logger);
  stack.push('radio', () => radio.close());
  try {
    // secrets and the store are the kiosk user's alone: refuse to run on loose modes
    for (const [path, what] of [
      [kioskKeyFile(config), 'the kiosk key'], [config.chain.passphraseFile, 'the keystore passphrase file'],
      [beaconKeyPath(config), 'the beacon key'], [config.http.operatorTokenFile, 'the operator token file'],
    ] as const) {
      if (path) assertPrivateFile(path, what);
    }
    // one clock truth: every part below reads sync status from this guard
    let health: ChainHealth | undefined;
    const provider = config.chain.rpcUrl ? connectProvider(config.chain.rpcUrl, { chainId: config.chain.chainId }) : undefined;
    if (provider) stack.push('chain provider', async () => provider.destroy());
    const probes = opts.clockProbes ?? [
      systemSyncProbe({ flagFile: opts.env?.[ENV.TIMESYNC_FLAG] }),
      ...(provider
        ? [chainTimeProbe({ latestBlockTime: async () => (await provider.getBlock('latest'))!.timestamp }, config.checkin.chainClockToleranceS, (h) => (health = h))]
        : []),
    ];
    const clock = new ClockGuard({ clock: opts.clock, probes, logger });
    clock.start();
    await clock.refresh();
    stack.push('clock guard', async () => clock.stop());

    const kiosk = new Kiosk({ config, clock, scanner: radio.scanner, logger });
    stack.push('kiosk', () => kiosk.stop());
    await kiosk.start();

    // batches to the chain when chain.rpcUrl, registry, venueId and the key are known
    const key = opts.key ?? (await loadConfiguredKioskKey(config, opts.env));
    const anchoring = await startKioskAnchoring(kiosk, { env: opts.env, key, ...opts.anchoring });
    if (anchoring) stack.push('anchoring', () => anchoring.stop());

    // the venue's exposure status, for the screen's banner: read-only, so no key needed
    const venueStatus = startVenueStatus(kiosk, { pollMs: opts.venueStatus?.pollMs });
    if (venueStatus) stack.push('venue status', () => venueStatus.stop());

    // the venue's capacity policy: crossings reported from the kiosk's account, the screen shows "full"
    const capacity = anchoring ? startCapacityWatch(kiosk, key, { ...opts.capacity, provider }) : undefined;
    if (capacity) stack.push('capacity', () => capacity.stop());

    // one ring-signed report an hour to the region authority's collector
    const community = anchoring && key && provider
      ? startCommunityReporter(kiosk, key, { pollMs: opts.community?.pollMs, capacity: () => capacity?.status().capacity ?? null, provider })
      : undefined;
    if (community) stack.push('community reports', () => community.stop());

    // check-in attestations (QR over HTTP, BLE tap over GATT) when the key and chain domain are known
    let publicUrl = config.checkin.publicUrl;
    const checkin = startKioskCheckin(kiosk, key, { clockGuard: clock, chainHealth: () => health, publicUrl: () => publicUrl });
    if (checkin && !publicUrl && !opts.publicUrlFromListenAddress) {
      logger.warn('checkin.publicUrl is not set: the screen shows no QR code (BLE taps still check in); set it with waymark provision config write --public-url');
    }

    // the signed positioning beacon, on the same adapter as the scanner
    const beacon = radio.advertiser ? createBeaconBroadcaster({ config, clock, advertiser: radio.advertiser, logger }) : undefined;
    const gatt = checkin && radio.peripheral
      ? await startGattCheckin(radio.peripheral, { handler: checkin.tapHandler, beaconFrame: () => beacon?.currentFrame() })
      : undefined;
    if (gatt) stack.push('GATT check-in', () => gatt.close());
    if (beacon) {
      stack.push('beacon', () => beacon.stop());
      await beacon.start();
    }
    if (radio.onTap) {
      // an NFC tap is a check-in (presence nfc) when check-in is on; otherwise only logged
      const off = checkin
        ? startNfcCheckin(radio.onTap, checkin.service, { logger, onOutcome: opts.onNfcCheckin })
        : radio.onTap((tap) => logger.info({ kind: tap.kind, tapSeq: tap.tapSeq }, 'NFC tap'));
      stack.push('NFC taps', async () => off());
    }
    // phones verify the beacon with the key the registry vouches for
    const beaconKeyPublished = beacon && anchoring && key && opts.publishBeaconKey !== false
      ? publishBeaconKey({ rpcUrl: config.chain.rpcUrl!, registry: config.chain.registry!, chainId: config.chain.chainId, privateKey: key.privateKey, beacon: beacon.beacon })
        .then((r) => {
          logger.info({ beaconKey: toHex(beacon.beacon.publicKey), result: r }, 'beacon key in the registry');
          return r;
        })
        .catch((err) => {
          logger.warn({ err: (err as Error).message }, 'could not publish the beacon key; will retry at next start');
          return null;
        })
      : Promise.resolve(null);
    stack.push('beacon key', async () => void (await beaconKeyPublished));

    // the operator-signed device certificate (provisioning), shown in /v1/status when present
    let deviceCertificate: StoredDeviceCertificate | undefined;
    try {
      deviceCertificate = readDeviceCertificate(kioskFiles(config.dataDir).certificate);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'device certificate unreadable; not shown in /v1/status');
    }

    const operatorToken = config.http.operatorTokenFile ? readOperatorToken(config.http.operatorTokenFile) : undefined;
    const app = await buildHttpApp(kiosk, {
      logger,
      operatorToken,
      statusExtras: () => ({
        venue: { name: config.venue.name, geohash: config.venue.geohash, status: venueStatus ? venueStatus.status() : null, capacity: capacity ? capacity.status() : null },
        ...(deviceCertificate ? { deviceCertificate } : {}),
        beacon: beacon ? { kiosk: toHex(beacon.beacon.kioskId), publicKey: toHex(beacon.beacon.publicKey), ...beacon.stats() } : { enabled: false },
        chain: anchoring ? anchoring.status() : { anchoring: false },
        community: community ? community.status() : null,
        // the clock is reported once, at the top (the guard every part signs with)
        checkin: checkin ? { ...withoutClock(checkin.service.status()), ble: gatt ? gatt.stats() : null } : { enabled: false },
      }),
      metrics: [...radio.metrics, ...(anchoring ? batchMetricSources(() => anchoring.status()) : [])],
      plugins: [...(checkin ? [checkin.plugin] : []), ...(anchoring ? [batchRoutes(anchoring.store)] : []),
        // contact matching for the venue's region authorities (signed requests, roles read on chain)
        ...[kioskContactsRoutes(config, kiosk.database, clock, provider)].filter((p) => p !== undefined)],
      wallet: { origins: walletOrigins(config.checkin) },
    });
    stack.push('HTTP', () => app.close());
    await app.listen({ port: config.http.port, host: config.http.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.http.port;
    const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
    const url = `http://${host}:${port}/`;
    logger.info({ url }, 'kiosk HTTP listening');
    if (!publicUrl && opts.publicUrlFromListenAddress) publicUrl = url;

    return {
      config, kiosk, clock, radio, anchoring, venueStatus, capacity, community, checkin, beacon, gatt, app, url, beaconKeyPublished,
      stop: () => stack.run(),
    };
  } catch (err) {
    await stack.run();
    throw err;
  }
}

/** The operator token from its file (one line, at least 32 characters). */
function readOperatorToken(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_CONFIG_INVALID', `http.operatorTokenFile ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!/^[\x21-\x7e]{32,512}$/.test(text)) {
    throw new WaymarkError('WAYMARK_ERR_CONFIG_INVALID', `http.operatorTokenFile ${path} must hold one token of 32 to 512 printable characters`);
  }
  return text;
}

function withoutClock<T extends { clock: unknown }>(status: T): Omit<T, 'clock'> {
  const { clock: _, ...rest } = status;
  return rest;
}

/** What to undo, in reverse order; each step runs even when one before it failed. */
class ShutdownStack {
  readonly #steps: { name: string; run: () => Promise<unknown> }[] = [];
  #running: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  push(name: string, run: () => Promise<unknown>): void {
    this.#steps.push({ name, run });
  }

  run(): Promise<void> {
    this.#running ??= (async () => {
      this.log.info('stopping');
      for (const step of this.#steps.reverse()) {
        try {
          await step.run();
        } catch (err) {
          this.log.warn({ part: step.name, err: (err as Error).message }, 'did not stop cleanly');
        }
      }
    })();
    return this.#running;
  }
}
