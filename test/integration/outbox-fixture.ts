/**
 * Shared set-up of the outbox suites: one anvil per file with the registry and a dev venue
 * (sim/dev-chain.ts), optionally kept in a state file so it can go down and come back on the
 * same port, extra authorized kiosk keys, an outbox on a real SQLite file with closed
 * sessions to batch, and readers of what landed on chain.
 */
import { join } from 'node:path';
import type { Test } from 'tap';
import { Wallet, type JsonRpcProvider } from 'ethers';
import { devWallet, startEmbeddedChain, type EmbeddedChain } from '../../sim/dev-chain.js';
import { ANVIL_DEV_KEYS, startAnvil, type AnvilNode } from '../../contracts/anvil.js';
import { connectProvider, registryClient, registryContract } from '../../contracts/client.js';
import { authorizeKiosk } from '../../contracts/actions/authorize-kiosk.js';
import { batchRoot } from '../../contracts/actions/batch-root.js';
import { nextSeq } from '../../contracts/actions/next-seq.js';
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
  /** Stops the node (with `stateFile`: it dumps the chain there); the RPC URL refuses connections. */
  down(): Promise<void>;
  /** Starts the node again on the same port from the state file (its transaction pool is gone). */
  up(): Promise<void>;
}

export async function startTestChain(t: { teardown: (f: () => Promise<void>) => void }, opts: { stateFile?: string } = {}): Promise<TestChain> {
  let node: AnvilNode | undefined = opts.stateFile ? await startAnvil({ stateFile: opts.stateFile }) : undefined;
  const chain = await startEmbeddedChain({ geohash: 'u4pruydqq', rpcUrl: node?.rpcUrl });
  node ??= chain.anvil!;
  const port = node.port;
  const provider = connectProvider(chain.rpcUrl, { chainId: chain.chainId, pollingIntervalMs: 20 });
  t.teardown(async () => {
    provider.destroy();
    await chain.stop();
    await node?.stop();
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
    async down() {
      await node?.stop();
      node = undefined;
    },
    async up() {
      if (!opts.stateFile) throw new Error('up() needs the chain started with a stateFile');
      node ??= await startAnvil({ stateFile: opts.stateFile, port });
    },
  });
}

/**
 * The verdict of every fault test: each batch of the outbox is confirmed and on chain exactly
 * once: batchRoot(kiosk, seq) is its root, nextSeq is one past the last, one BatchCommitted
 * per seq on the canonical chain (no duplicates, no gaps), from the transaction the outbox holds.
 */
export async function assertOnChainOnce(t: Test, chain: TestChain, outbox: Outbox, kiosk: string): Promise<void> {
  const rows = outbox.store.list({ limit: 10_000 }).reverse();
  t.ok(rows.length > 0, 'the outbox has batches');
  t.same(rows.filter((r) => r.state !== 'confirmed').map((r) => r.seq), [], 'every batch confirmed');
  t.same(rows.map((r) => r.seq), rows.map((_, i) => rows[0]!.seq + i), 'local seqs without gaps');
  const reader = registryClient(chain.provider, chain.registry);
  for (const r of rows) t.equal((await batchRoot(reader, { kiosk, seq: r.seq })).toLowerCase(), r.root.toLowerCase(), `batchRoot(${r.seq}) is the local root`);
  t.equal(Number(await nextSeq(reader, { kiosk })), rows.at(-1)!.seq + 1, 'nextSeq is one past the last batch');
  const commits = await chain.commits(kiosk);
  t.same(commits.map((c) => c.seq), rows.map((r) => r.seq), 'one commit per seq on chain, in order');
  t.same(commits.map((c) => c.txHash), rows.map((r) => r.txHash), 'each from the transaction the outbox confirmed');
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
    pollMs: 30, backoffMinMs: 30, backoffMaxMs: 300, recheckMs: 100, ...senderOpts,
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
