/**
 * Demo mode: the kiosk daemon (the same composition root `waymark kiosk start` uses) on the
 * simulated venue, with a real SQLite store (in a temp dir unless one is given), the real
 * HTTP page, anchoring on the dev chain, and simulated phones and visitors checking in; with
 * a chain, a simulated region authority reports an exposure at the venue partway through and
 * the operator marks it cleaned a while later (sim/demo-exposure.ts). Runs until stopped,
 * or for a duration after which it summarizes what it saw, scored against the venue's truth.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { ScaledClock } from '../core/clock.js';
import { parseConfig, type KioskConfigInput } from '../core/config.js';
import { silentLogger, type Logger } from '../core/log.js';
import { toHex } from '../beacon/index.js';
import type { SightingsSummary } from '../kiosk/replay.js';
import { startKioskDaemon, type KioskDaemon } from '../kiosk/daemon.js';
import type { KioskKey } from '../contracts/kiosk-key.js';
import type { BeaconBroadcaster } from '../kiosk/beacon-broadcaster.js';
import { openVirtualRadio, type VirtualRadio } from './virtual-radio.js';
import { startDemoPhones, type DemoPhones, type DemoTapCounts } from './demo-phones.js';
import type { VerifiedPosition } from './beacon-listener.js';
import { startDemoVisitors, DEMO_CHAIN_ID, DEMO_REGISTRY, type DemoVisitors, type DemoCheckinSummary } from './demo-checkin.js';
import { devWallet, startEmbeddedChain, type EmbeddedChain } from './dev-chain.js';
import { fetchExposureReports } from '../beacon/visitor/exposure-logs.js';
import { setCapacityPolicy, type CapacityPolicy } from '../contracts/actions/capacity.js';
import { connectProvider, registryClient } from '../contracts/client.js';
import type { CapacityView } from '../kiosk/capacity.js';
import { startDemoExposure, type DemoExposure, type DemoExposureSummary, type DemoExposureTiming } from './demo-exposure.js';

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
  /** The kiosk's attestation key, hex (default: the dev chain's kiosk key, or a fresh random one without a chain). */
  kioskKey?: string;
  /** Simulated seconds between simulated visitors' QR check-ins; 0 = none. Default 30. */
  checkinVisitorEveryS?: number;
  /** Anchor batches on a chain (default true): anvil with its state in `<dataDir>/chain/`, or the node at `rpcUrl`. */
  chain?: boolean;
  /** An external EVM node holding anvil's dev accounts, instead of the embedded anvil. */
  rpcUrl?: string;
  /**
   * With a chain: when the simulated authority reports an exposure and the operator cleans
   * (default: at simulated minutes 10 and 20, the window covering the 10 minutes before); false = never.
   */
  exposure?: DemoExposureTiming | false;
  /**
   * With a chain: the venue's capacity policy the simulated operator sets at start (default 42
   * people for 5 minutes, which the simulated venue crosses now and then); false = none set.
   */
  capacityPolicy?: CapacityPolicy | false;
}

/** The demo venue's capacity policy unless told otherwise. */
export const DEMO_CAPACITY_POLICY: CapacityPolicy = { capacity: 42, minMinutes: 5 };

export interface DemoKiosk {
  readonly daemon: KioskDaemon;
  readonly kiosk: KioskDaemon['kiosk'];
  readonly radio: VirtualRadio;
  readonly url: string;
  readonly dataDir: string;
  /** The batch outbox and its chain, when the demo anchors. */
  readonly anchoring?: KioskDaemon['anchoring'];
  readonly chain?: EmbeddedChain;
  /** The simulated authority and operator, when the demo has a chain. */
  readonly exposure?: DemoExposure;
  summary(): DemoSummary;
  stop(): Promise<void>;
}

export interface DemoBeaconSummary {
  kiosk: string;
  publicKey: string;
  onAir: boolean;
  epochs: number;
  verifiedByPhone: number;
  refusedByPhone: Record<string, number>;
  taps: DemoTapCounts;
  keyOnChain: 'published' | 'unchanged' | null;
}

export interface DemoSummary extends SightingsSummary {
  seed: number;
  speed: number;
  dataDir: string;
  url: string;
  packetsOnAir: number;
  truth: { visitors: number; occupancyNow: number };
  beacon: DemoBeaconSummary | null;
  checkins: DemoCheckinSummary | null;
  /** Batches closed, and how many of them are confirmed on chain. */
  batches: number;
  batchesConfirmed: number;
  contracts: { registry?: string };
  rpcUrl: string | null;
  /**
   * The simulated exposure report and cleaning, the venue states the kiosk showed, and how many
   * simulated visitors' wallets the report warned after matching it locally (null without a chain).
   */
  exposure: (DemoExposureSummary & { wallets: { warned: number; notWarned: number } }) | null;
  /** The venue's capacity policy as the kiosk follows it (null without a chain). */
  capacity: CapacityView | null;
}

export async function startDemo(opts: DemoOptions = {}): Promise<DemoKiosk> {
  const seed = opts.seed ?? 1;
  const speed = opts.speed ?? 1;
  const tempDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'waymark-demo-'));
  const logger = opts.logger ?? silentLogger;
  const cleanup: (() => Promise<unknown>)[] = [];
  const undo = async () => {
    for (const step of cleanup.reverse()) await step().catch((err: Error) => logger.warn({ err: err.message }, 'demo part did not stop cleanly'));
    if (tempDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const configInput: KioskConfigInput = {
      ...opts.config,
      venue: { name: 'Demo Café', geohash: 'u4pruydqq', ...opts.config?.venue },
      dataDir,
      radio: { adapter: 'virtual' },
      http: { port: opts.port ?? 8080, host: opts.host ?? '127.0.0.1', ...opts.config?.http },
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
      chain = await startEmbeddedChain({
        dataDir, rpcUrl: pre.chain.rpcUrl, geohash: pre.venue.geohash, registry: pre.chain.registry, venueId: pre.chain.venueId, logger,
      });
      cleanup.push(() => chain!.stop());
      if (opts.capacityPolicy !== false) await setDemoCapacityPolicy(chain, opts.capacityPolicy ?? DEMO_CAPACITY_POLICY);
    }
    // without a chain, check-ins still carry the dev chain's EIP-712 domain
    const domain = chain
      ? { rpcUrl: chain.rpcUrl, chainId: chain.chainId, registry: chain.registry, venueId: chain.venueId }
      : { chainId: DEMO_CHAIN_ID, registry: DEMO_REGISTRY, venueId: 1, ...configInput.chain };
    const config = parseConfig({ ...configInput, chain: { ...configInput.chain, ...domain } });
    const clock = new ScaledClock(speed);
    const startedAt = clock.now();
    const radio = await openVirtualRadio({ config, clock, logger }, { seed, capturePath: opts.capturePath, transport: opts.radio ?? 'hci' });
    const daemon = await startKioskDaemon({
      config, clock, radio, logger,
      key: kioskKeyOf(opts.kioskKey ?? chain?.kioskKey ?? Wallet.createRandom().privateKey),
      // the simulated clock is its own truth
      clockProbes: [],
      // the demo's visitors and screen are on this machine: the QR links to the demo itself
      publicUrlFromListenAddress: true,
      anchoring: { pollingIntervalMs: 100, sender: { pollMs: 250, backoffMinMs: 250, backoffMaxMs: 5_000 } },
      // the screen follows the simulated authority within a wall second
      venueStatus: { pollMs: 1000 },
      // and reports capacity crossings as soon as they are due
      capacity: { pollMs: 1000 },
      community: { pollMs: 1000 },
    });
    cleanup.push(() => daemon.stop());
    // a phone listening to the beacon and one tapping to check in, on the kiosk's air
    let phones: DemoPhones | undefined;
    if (daemon.beacon && !radio.virtual.serial) {
      phones = await startDemoPhones({
        clock, kioskDeviceId: radio.virtual.deviceId, beacon: daemon.beacon.beacon, onPosition: opts.onBeaconPosition,
        tapEveryMs: daemon.gatt ? opts.tapEveryMs ?? 3000 : 0,
      });
      cleanup.push(() => phones!.stop());
    }
    // visitors scanning the QR on the screen and checking in over HTTP
    const visitors: DemoVisitors | undefined = daemon.checkin
      ? startDemoVisitors({ url: daemon.url, speed, kiosk: daemon.checkin.service.signer.address, everyS: opts.checkinVisitorEveryS, logger })
      : undefined;
    if (visitors) cleanup.push(() => visitors.stop());
    // the region authority reports an exposure partway through; the operator cleans later
    const exposure: DemoExposure | undefined = chain && opts.exposure !== false
      ? startDemoExposure({
        rpcUrl: chain.rpcUrl, chainId: chain.chainId, registry: chain.registry, venueId: chain.venueId,
        clock, startedAt, speed, venueStatus: daemon.venueStatus, logger, ...opts.exposure,
      })
      : undefined;
    if (exposure) cleanup.push(() => exposure.stop());
    // once the report is mined, the visitors' wallets download the public reports and match locally
    const wallets: { warned: number; notWarned: number } = { warned: 0, notWarned: 0 };
    let walletCheck: Promise<void> | undefined;
    if (exposure && visitors && chain) {
      exposure.onReport(() => {
        walletCheck = fetchExposureReports({ rpcUrl: chain!.rpcUrl, registry: chain!.registry, fromBlock: 0 })
          .then((download) => void Object.assign(wallets, visitors.notify(download.reports)))
          .catch((err: Error) => logger.warn({ err: err.message }, 'simulated wallets could not download the exposure reports'));
      });
      cleanup.push(async () => walletCheck);
    }
    const beaconKeyOnChain = await daemon.beaconKeyPublished;
    return demoKiosk({ daemon, radio: radio.virtual, chain, phones, visitors, exposure, wallets: exposure ? wallets : undefined, beaconKeyOnChain, seed, speed, startedAt, tempDir, dataDir, undo });
  } catch (err) {
    await undo();
    throw err;
  }
}

/** The simulated operator (anvil's dev key) sets the demo venue's capacity policy. */
async function setDemoCapacityPolicy(chain: EmbeddedChain, policy: CapacityPolicy): Promise<void> {
  const provider = connectProvider(chain.rpcUrl, { chainId: chain.chainId, pollingIntervalMs: 50 });
  try {
    await setCapacityPolicy(registryClient(devWallet('operator', provider), chain.registry), { venueId: chain.venueId, ...policy });
  } finally {
    provider.destroy();
  }
}

function kioskKeyOf(privateKey: string): KioskKey {
  return { privateKey, address: new Wallet(privateKey).address, format: 'hex', warnings: [] };
}

function demoKiosk(parts: {
  daemon: KioskDaemon; radio: VirtualRadio; chain?: EmbeddedChain; phones?: DemoPhones; visitors?: DemoVisitors; exposure?: DemoExposure;
  wallets?: { warned: number; notWarned: number };
  beaconKeyOnChain: 'published' | 'unchanged' | null; seed: number; speed: number; startedAt: number; tempDir: boolean; dataDir: string;
  undo: () => Promise<void>;
}): DemoKiosk {
  const { daemon, radio, chain, phones, visitors, exposure, startedAt } = parts;
  const { kiosk, anchoring } = daemon;
  let final: DemoSummary | undefined;
  let stopping: Promise<void> | undefined;

  const beaconSummary = (b: BeaconBroadcaster): DemoBeaconSummary => {
    const s = b.stats();
    const l = phones?.listener.stats();
    return {
      kiosk: toHex(b.beacon.kioskId), publicKey: toHex(b.beacon.publicKey), onAir: s.onAir, epochs: s.epochs,
      verifiedByPhone: l?.verified ?? 0, refusedByPhone: l?.refused ?? {},
      taps: phones?.taps() ?? { attempted: 0, attested: 0, refused: {}, failed: 0, lastError: null },
      keyOnChain: parts.beaconKeyOnChain,
    };
  };

  const summary = (): DemoSummary => {
    if (final) return final;
    const now = kiosk.clock.now();
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
      seed: parts.seed,
      speed: parts.speed,
      dataDir: parts.tempDir ? '(temporary)' : parts.dataDir,
      url: daemon.url,
      packetsOnAir: radio.packetsOnAir(),
      truth: {
        visitors: radio.venue.truth.visitsArrivingBetween(startedAt, now).length,
        occupancyNow: radio.venue.occupancyAt(now),
      },
      beacon: daemon.beacon ? beaconSummary(daemon.beacon) : null,
      checkins: visitors?.summary() ?? null,
      batches: batches?.total ?? 0,
      batchesConfirmed: batches?.confirmed ?? 0,
      contracts: chain ? { registry: chain.registry } : {},
      rpcUrl: chain?.rpcUrl ?? null,
      exposure: exposure ? { ...exposure.summary(), wallets: { ...parts.wallets! } } : null,
      capacity: daemon.capacity?.status() ?? null,
    };
  };

  return {
    daemon, kiosk, radio, anchoring, chain, exposure, url: daemon.url, dataDir: parts.dataDir, summary,
    stop() {
      stopping ??= (async () => {
        const before = summary();
        await parts.undo();
        // sessions still open were closed by the stop; commits in flight may have confirmed since
        const batches = anchoring?.status().batches;
        final = {
          ...before, sessions: kiosk.pipeline.stats().sessionsClosed, packetsOnAir: radio.packetsOnAir(),
          batches: batches?.total ?? 0, batchesConfirmed: batches?.confirmed ?? 0,
          // a cleaning in flight at the stop was waited for
          exposure: exposure ? { ...exposure.summary(), wallets: { ...parts.wallets! } } : null,
          ...(before.beacon && phones ? { beacon: { ...before.beacon, taps: phones.taps() } } : {}),
        };
      })();
      return stopping;
    },
  };
}
