/**
 * `waymark fleet simulate`'s engine: provisions N venues, each with one kiosk, on one chain
 * (dev keys: admin funds the kiosks, the region authority registers venues, the operator
 * authorizes kiosks) and runs every kiosk light: the real Batcher and BatchSender over an
 * in-memory outbox, fed a few synthetic records per interval. No radio, no sessions.
 */
import { randomBytes } from 'node:crypto';
import { Wallet, parseEther, type JsonRpcProvider } from 'ethers';
import { silentLogger } from '../../core/log.js';
import { registryClient } from '../../contracts/client.js';
import { registerVenue } from '../../contracts/actions/register-venue.js';
import { authorizeKiosk } from '../../contracts/actions/authorize-kiosk.js';
import { nextSeq } from '../../contracts/actions/next-seq.js';
import { openDatabase, migrate } from '../../kiosk/store/database.js';
import { BatchStore } from '../../kiosk/batcher/batch-store.js';
import { Batcher } from '../../kiosk/batcher/batcher.js';
import { BatchSender } from '../../kiosk/batcher/sender.js';
import { createOutboxChain } from '../../kiosk/batcher/outbox-chain.js';
import type { BatchRecord, RecordSource } from '../../kiosk/batcher/records.js';

const GEOHASH32 = '0123456789bcdefghjkmnpqrstuvwxyz';
/** The simulated fleet's region; venue cells are numbered under it. */
export const SIM_REGION = 'u4pr';

export function simulatedCell(i: number): string {
  let s = '';
  for (let n = i, k = 0; k < 5; k++, n = Math.floor(n / 32)) s = GEOHASH32[n % 32] + s;
  return SIM_REGION + s;
}

export interface FleetSimulationOptions {
  provider: JsonRpcProvider;
  rpcUrl: string;
  chainId: number;
  kiosks: number;
  durationS: number;
  /** Use this registry (the dev admin must be its admin) instead of deploying one. */
  registry?: string;
  /** How often each kiosk closes a batch, ms. */
  batchEveryMs?: number;
  recordsPerBatch?: number;
  /** Called once the fleet is provisioned, before kiosks start. */
  onProvisioned?: (fleet: { registry: string; venues: number[]; kiosks: string[] }) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface FleetSimulationResult {
  registry: string;
  kiosks: string[];
  venues: number[];
  /** Batches on chain from these kiosks when the run ended. */
  batches: number;
}

/** Synthetic records: `perTick` bytes32 leaves each time `refill` is called. */
function syntheticSource(): RecordSource & { refill(n: number, now: number): void } {
  let waiting: BatchRecord[] = [];
  let next = 0;
  return {
    name: 'synthetic',
    refill(n, now) {
      for (let i = 0; i < n; i++) {
        waiting.push({ id: `x-${next++}`, leafEncoding: ['bytes32'], leaf: [`0x${randomBytes(32).toString('hex')}`], fromMs: now - 60_000, toMs: now, readyAt: now });
      }
    },
    pending: () => ({ count: waiting.length, oldestReadyAt: waiting[0]?.readyAt ?? null }),
    take: (limit) => waiting.slice(0, limit),
    markBatched(ids) {
      const done = new Set(ids);
      waiting = waiting.filter((r) => !done.has(r.id));
    },
  };
}

async function provision(opts: FleetSimulationOptions): Promise<{ registry: string; venues: number[]; wallets: { address: string; privateKey: string }[] }> {
  const { provider } = opts;
  // the dev keys live in sim/, which cli/ loads only lazily (test/unit/architecture/lazy-sim.test.ts)
  const { deployDevRegistry, devWallet, setUpDevRegion } = await import('../../sim/dev-chain.js');
  const registry = opts.registry ?? await deployDevRegistry(provider);
  if (!opts.registry) await setUpDevRegion(provider, registry, { prefix: SIM_REGION });
  const admin = devWallet('admin', provider);
  const authority = registryClient(devWallet('authority', provider), registry);
  const operatorWallet = devWallet('operator', provider);
  const operator = registryClient(operatorWallet, registry);
  const wallets = Array.from({ length: opts.kiosks }, () => new Wallet(`0x${randomBytes(32).toString('hex')}`));
  // funding: fire all transfers on consecutive nonces, then wait for the last
  let nonce = await provider.getTransactionCount(admin.address, 'pending');
  const funding = await Promise.all(wallets.map((w) => admin.sendTransaction({ to: w.address, value: parseEther('1'), nonce: nonce++ })));
  await Promise.all(funding.map((tx) => tx.wait()));
  const venues: number[] = [];
  const base = opts.registry ? Date.now() % 1_000_000 : 0;
  for (let i = 0; i < opts.kiosks; i++) {
    const { venueId } = await registerVenue(authority, { geohash: simulatedCell(base + i), operator: operatorWallet.address });
    venues.push(Number(venueId));
    await authorizeKiosk(operator, { venueId, kiosk: wallets[i]!.address });
  }
  return { registry, venues, wallets };
}

export async function runFleetSimulation(opts: FleetSimulationOptions): Promise<FleetSimulationResult> {
  const { registry, venues, wallets } = await provision(opts);
  await opts.onProvisioned?.({ registry, venues, kiosks: wallets.map((w) => w.address) });
  const everyMs = opts.batchEveryMs ?? 2000;
  const perBatch = opts.recordsPerBatch ?? 2;
  const fleet = wallets.map((w, i) => {
    const db = openDatabase(':memory:');
    migrate(db);
    const store = new BatchStore(db);
    const source = syntheticSource();
    const batcher = new Batcher({ store, sources: [source], maxRecords: perBatch, maxAgeS: 3600, logger: silentLogger });
    const chain = createOutboxChain({ rpcUrl: opts.rpcUrl, registry, key: w.privateKey, chainId: opts.chainId, pollingIntervalMs: 200 });
    const sender = new BatchSender({ store, chain, venueId: venues[i]!, confirmations: 0, maxFeeGwei: 1000, logger: silentLogger, pollMs: 250 });
    return { db, store, source, batcher, sender, chain };
  });
  for (const k of fleet) k.sender.start();
  const tick = (): void => {
    const now = Date.now();
    for (const k of fleet) {
      k.source.refill(perBatch, now);
      if (k.batcher.tick(now).length > 0) k.sender.wake();
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  await new Promise<void>((resolve) => {
    const done = setTimeout(resolve, opts.durationS * 1000);
    opts.signal?.addEventListener('abort', () => { clearTimeout(done); resolve(); }, { once: true });
  });
  clearInterval(timer);
  await Promise.all(fleet.map((k) => k.sender.stop()));
  for (const k of fleet) {
    k.db.close();
    await k.chain.close();
  }
  await new Promise((r) => setTimeout(r, 1000)); // a commit broadcast just before stop() still lands
  // what landed, whether or not a kiosk saw its receipt before it stopped
  const reader = registryClient(opts.provider, registry);
  let batches = 0;
  for (const w of wallets) batches += Number(await nextSeq(reader, { kiosk: w.address }));
  return { registry, kiosks: wallets.map((w) => w.address), venues, batches };
}

export interface FleetHistoryParameters {
  provider: JsonRpcProvider;
  kiosks: number;
  rounds: number;
  /** Write into this registry (the dev admin must be its admin) instead of deploying one. */
  registry?: string;
  /** Block time between rounds, s (default 600). */
  intervalS?: number;
  /** Rounds mined into one block (default 1). */
  roundsPerBlock?: number;
  /** Progress lines for a long run. */
  progress?: (line: string) => void;
}

/**
 * Bulk history for load-testing an indexer (sim/fleet-history.ts): `kiosks` contract kiosks
 * each commit `rounds` batches, one block per round, then the history is mined final.
 */
export async function writeFleetHistory(opts: FleetHistoryParameters): Promise<FleetSimulationResult & { rounds: number; seconds: number }> {
  const { deployDevRegistry } = await import('../../sim/dev-chain.js');
  const { generateFleetHistory, mineFinality, HISTORY_REGION } = await import('../../sim/fleet-history.js');
  const started = Date.now();
  const registry = opts.registry ?? await deployDevRegistry(opts.provider);
  const elapsed = (): string => `${Math.round((Date.now() - started) / 1000)} s`;
  opts.progress?.(`registry ${registry}: ${opts.kiosks} kiosks × ${opts.rounds} rounds = ${opts.kiosks * opts.rounds} batches under region ${HISTORY_REGION}`);
  let lastLine = 0;
  const history = await generateFleetHistory({
    provider: opts.provider, registry, kiosks: opts.kiosks, rounds: opts.rounds, intervalS: opts.intervalS, roundsPerBlock: opts.roundsPerBlock,
    onProgress: (p) => {
      if (p.phase === 'setup' && p.done < p.total) return;
      if (p.done < p.total && Date.now() - lastLine < 5000) return;
      lastLine = Date.now();
      opts.progress?.(p.phase === 'setup' ? `${p.total} venues and kiosks authorized (${elapsed()})` : `round ${p.done}/${p.total} (${elapsed()})`);
    },
  });
  await mineFinality(opts.provider);
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  opts.progress?.(`${history.batches} batches in blocks ${history.firstBlock}..${history.lastBlock}, final (${elapsed()})`);
  return { registry, kiosks: history.kiosks, venues: history.venues, batches: history.batches, rounds: history.rounds, seconds };
}
