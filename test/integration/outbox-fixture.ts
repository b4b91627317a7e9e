/**
 * Shared set-up of the outbox suites: one anvil per file with the registry and a dev venue
 * (sim/dev-chain.ts), extra authorized kiosk keys, an outbox on a real SQLite file
 * with closed sessions to batch, and readers of what landed on chain.
 */
import { join } from 'node:path';
import { Wallet, type JsonRpcProvider } from 'ethers';
import { devWallet, startEmbeddedChain, type EmbeddedChain } from '../../sim/dev-chain.js';
import { ANVIL_DEV_KEYS } from '../../contracts/anvil.js';
import { connectProvider, registryClient, registryContract } from '../../contracts/client.js';
import { authorizeKiosk } from '../../contracts/actions/authorize-kiosk.js';
import { openDatabase, type Database } from '../../kiosk/store/database.js';
import { SightingsStore } from '../../kiosk/store/sightings-store.js';
import { BatchStore } from '../../kiosk/batcher/batch-store.js';
import { Batcher } from '../../kiosk/batcher/batcher.js';
import { BatchSender, type BatchSenderOptions } from '../../kiosk/batcher/sender.js';
import { sessionRecordSource } from '../../kiosk/batcher/session-source.js';
import { createOutboxChain, type OutboxChain } from '../../kiosk/batcher/outbox-chain.js';
import type { SessionRecord } from '../../kiosk/sightings/sessions.js';

export const T0 = Date.UTC(2026, 4, 1, 12);

export interface TestChain extends EmbeddedChain {
  provider: JsonRpcProvider;
  /** Authorizes anvil dev account `index` as a kiosk of the dev venue; returns its key. */
  authorizeKiosk(index: number): Promise<string>;
  /** BatchCommitted events of a kiosk on the canonical chain, in block order. */
  commits(kiosk: string): Promise<{ seq: number; root: string; txHash: string; blockNumber: number }[]>;
  mine(blocks?: number): Promise<void>;
}

export async function startTestChain(t: { teardown: (f: () => Promise<void>) => void }): Promise<TestChain> {
  const chain = await startEmbeddedChain({ geohash: 'u4pruydqq' });
  const provider = connectProvider(chain.rpcUrl, { chainId: chain.chainId, pollingIntervalMs: 20 });
  t.teardown(async () => {
    provider.destroy();
    await chain.stop();
  });
  const operator = registryClient(devWallet('operator', provider), chain.registry);
  return Object.assign(chain, {
    provider,
    async authorizeKiosk(index: number) {
      const key = ANVIL_DEV_KEYS[index]!;
      await authorizeKiosk(operator, { venueId: chain.venueId, kiosk: new Wallet(key).address });
      return key;
    },
    async commits(kiosk: string) {
      const contract = registryContract(registryClient(provider, chain.registry));
      const events = await contract.queryFilter(contract.filters.BatchCommitted!(chain.venueId, kiosk), 0, 'latest');
      return events.map((e: any) => ({ seq: Number(e.args.seq), root: e.args.merkleRoot as string, txHash: e.transactionHash, blockNumber: e.blockNumber }));
    },
    async mine(blocks = 1) {
      for (let i = 0; i < blocks; i++) await provider.send('evm_mine', []);
    },
  });
}

export function session(id: number, lastSeen: number): SessionRecord {
  return {
    id, addressHash: id.toString(16).padStart(32, '0'), kind: 'resolvable', firstSeen: lastSeen - 30_000, lastSeen,
    dwellMs: 30_000, samples: 20, rssiMin: -80, rssiMean: -70, rssiMax: -60, rssiLast: -65, closed: true,
  };
}

export interface Outbox {
  db: Database;
  path: string;
  sightings: SightingsStore;
  store: BatchStore;
  batcher: Batcher;
  chain: OutboxChain;
  sender: BatchSender;
  /** Adds `n` closed sessions and closes one batch of them. */
  addBatch(n?: number): number;
}

let nextSession = 1;

export function openOutbox(
  t: { teardown: (f: () => Promise<void>) => void },
  dir: string,
  chain: TestChain,
  key: string,
  opts: Partial<BatchSenderOptions> & { rpcUrl?: string } = {},
): Outbox {
  const path = join(dir, 'waymark.db');
  const db = openDatabase(path);
  const sightings = new SightingsStore(db);
  const store = new BatchStore(db);
  const batcher = new Batcher({ store, sources: [sessionRecordSource(sightings)], maxRecords: 1000, maxAgeS: 1 });
  const { rpcUrl, ...senderOpts } = opts;
  const outboxChain = createOutboxChain({ rpcUrl: rpcUrl ?? chain.rpcUrl, registry: chain.registry, key, pollingIntervalMs: 20, requestTimeoutMs: 5000 });
  const sender = new BatchSender({
    store, chain: outboxChain, venueId: chain.venueId, confirmations: 1, maxFeeGwei: 200,
    pollMs: 30, backoffMinMs: 30, backoffMaxMs: 300, ...senderOpts,
  });
  t.teardown(async () => {
    await sender.stop();
    await outboxChain.close();
    db.close();
  });
  return {
    db, path, sightings, store, batcher, chain: outboxChain, sender,
    addBatch(n = 3) {
      const sessions = Array.from({ length: n }, () => session(nextSession++, T0 + nextSession * 1000));
      sightings.queueSessions(sessions);
      sightings.flush();
      const row = batcher.cut(T0 + 10_000_000);
      if (!row) throw new Error('no batch closed');
      return row.seq;
    },
  };
}

/** Polls `check` until it is truthy (a deadline, not a timing assertion). */
export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
