/**
 * Gas benchmark on one local anvil: Waymark's batch commit (gas per check-in at 1,000
 * records per batch) against the S0 baseline's one-transaction-per-check-in design under
 * S0's workload (Poisson check-ins, |U| = 100..600 users, 3..18 location contracts).
 */
import { randomBytes } from 'node:crypto';
import { Interface } from 'ethers';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import type { AnvilNode } from '../contracts/anvil.js';
import { getArtifact } from '../contracts/build.js';
import { registryClient } from '../contracts/client.js';
import { commitBatch } from '../contracts/actions/commit-batch.js';
import { reportCapacityRestored, reportOverCapacity, setCapacityPolicy } from '../contracts/actions/capacity.js';
import { deployDevRegistry, devWallet, setUpDevVenue, startDevNode, type DevNode } from '../sim/dev-chain.js';
import type { BenchFigure, BenchGroup } from './types.js';

const RECORDS_PER_BATCH = 1000;
const USERS = [100, 200, 300, 400, 500, 600];
const LOCATIONS = [3, 6, 9, 12, 15, 18];
const INFECTED_SHARE = 0.05;
const COUNTY = 'u4p';
const CITIES = ['u4pru', 'u4prv', 'u4prx'];

/** A seeded PRNG (mulberry32) so every run draws the same workload. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

function std(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Minimal JSON-RPC with batching: the bench sends thousands of transactions. */
async function rpc<T>(url: string, calls: { method: string; params: unknown[] }[]): Promise<T[]> {
  const body = calls.map((c, i) => ({ jsonrpc: '2.0', id: i, method: c.method, params: c.params }));
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const out = (await res.json()) as { id: number; result?: T; error?: { message: string } }[];
  out.sort((a, b) => a.id - b.id);
  return out.map((r) => {
    if (r.error) throw new Error(`${calls[r.id].method}: ${r.error.message}`);
    return r.result as T;
  });
}

async function rpc1<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  return (await rpc<T>(url, [{ method, params }]))[0];
}

interface Receipt { status: string; gasUsed: string; contractAddress: string | null; transactionHash: string }

/** Mines everything pending in one block and returns the receipts in send order. */
async function mine(url: string, hashes: string[]): Promise<Receipt[]> {
  await rpc1(url, 'evm_mine');
  const receipts: Receipt[] = [];
  for (let i = 0; i < hashes.length; i += 500) {
    receipts.push(...await rpc<Receipt>(url, hashes.slice(i, i + 500).map((h) => ({ method: 'eth_getTransactionReceipt', params: [h] }))));
  }
  for (const r of receipts) if (r?.status !== '0x1') throw new Error(`transaction failed: ${JSON.stringify(r)}`);
  return receipts;
}

/** Next nonce per unlocked dev account; anvil does not count pending ones within a batch. */
const nonces = new Map<string, number>();

async function sendAll(url: string, txs: { from: string; to?: string; data: string; gas?: number }[]): Promise<string[]> {
  const unknown = [...new Set(txs.map((tx) => tx.from))].filter((a) => !nonces.has(a));
  if (unknown.length > 0) {
    const counts = await rpc<string>(url, unknown.map((a) => ({ method: 'eth_getTransactionCount', params: [a, 'pending'] })));
    unknown.forEach((a, i) => nonces.set(a, Number(BigInt(counts[i]))));
  }
  const hashes: string[] = [];
  for (let i = 0; i < txs.length; i += 250) {
    const chunk = txs.slice(i, i + 250).map((tx) => {
      const nonce = nonces.get(tx.from)!;
      nonces.set(tx.from, nonce + 1);
      return {
        method: 'eth_sendTransaction',
        params: [{ ...tx, nonce: `0x${nonce.toString(16)}`, gas: `0x${(tx.gas ?? 3_000_000).toString(16)}` }],
      };
    });
    hashes.push(...await rpc<string>(url, chunk));
  }
  return hashes;
}

/** Waymark: gasUsed of commitBatch for batches of 1,000 real Merkle-tree records. */
async function measureWaymark(node: DevNode, batches: number, log: (l: string) => void) {
  // the dev chain's registry and venue (sim/dev-chain.ts); the dev kiosk commits
  const registry = await deployDevRegistry(node.provider);
  const venueId = await setUpDevVenue(node.provider, registry);
  const kiosk = registryClient(devWallet('kiosk', node.provider), registry);
  const gas: number[] = [];
  let t = 1_700_000_000;
  for (let seq = 0; seq <= batches; seq++) {
    const leaves = Array.from({ length: RECORDS_PER_BATCH }, () => [`0x${randomBytes(32).toString('hex')}`]);
    const tree = StandardMerkleTree.of(leaves, ['bytes32']);
    const r = await commitBatch(kiosk, {
      venueId, seq, merkleRoot: tree.root, count: RECORDS_PER_BATCH, fromTime: t, toTime: t + 3599,
    });
    t += 3600;
    gas.push(Number(r.gasUsed));
  }
  const [first, ...steady] = gas;
  // capacity thresholds on the same venue: the policy, then crossings and their ends
  const policy = Number((await setCapacityPolicy(registryClient(devWallet('operator', node.provider), registry), { venueId, capacity: 100, minMinutes: 10 })).gasUsed);
  const over: number[] = [];
  const restored: number[] = [];
  for (let i = 0; i < 5; i++, t += 3600) {
    over.push(Number((await reportOverCapacity(kiosk, { venueId, occupancy: 120, since: t, at: t + 900 })).gasUsed));
    restored.push(Number((await reportCapacityRestored(kiosk, { venueId, occupancy: 80, at: t + 1800 })).gasUsed));
  }
  log(`capacity: policy ${policy} gas, crossing ${Math.round(mean(over))}, its end ${Math.round(mean(restored))}`);
  const capacity = { policy, over: mean(over), restored: mean(restored), crossings: over.length };
  log(`waymark: first commit ${first} gas, steady ${Math.round(mean(steady))} ± ${Math.round(std(steady))} gas over ${steady.length} batches`);
  return { first, steady: mean(steady), steadyStd: std(steady), batches: steady.length, capacity };
}

interface ConfigResult { users: number; locations: number; checkins: number; mean: number; std: number; stdCheckin: number }

/** S0 baseline: one transaction per check-in through state -> county -> city -> location. */
async function measureS0(node: AnvilNode, rounds: number, log: (l: string) => void): Promise<{ all: number[]; table: ConfigResult[] }> {
  const url = node.rpcUrl;
  const accounts = await rpc1<string[]>(url, 'eth_accounts');
  const owner = accounts[0];
  const stateArt = getArtifact('S0State');
  const stateIface = new Interface(stateArt.abi as never);
  const countyIface = new Interface(getArtifact('S0County').abi as never);
  const deployData = stateArt.bytecode + stateIface.encodeDeploy([COUNTY.length, CITIES[0].length]).slice(2);
  const all: number[] = [];
  const table: ConfigResult[] = [];
  nonces.clear();
  await rpc1(url, 'evm_setAutomine', [false]);
  try {
    for (const users of USERS) {
      for (const locations of LOCATIONS) {
        const roundMeans: number[] = [];
        const perCheckin: number[] = [];
        let checkins = 0;
        for (let round = 0; round < rounds; round++) {
          const draw = rng(users * 1000 + locations * 10 + round);
          // the contract group above the locations: one state, one county, three cities
          const [deployHash] = await sendAll(url, [{ from: owner, data: deployData, gas: 5_000_000 }]);
          const state = (await mine(url, [deployHash]))[0].contractAddress!;
          const [countyHash] = await sendAll(url, [{ from: owner, to: state, data: stateIface.encodeFunctionData('addCounty', [COUNTY]) }]);
          await mine(url, [countyHash]);
          const county = (await rpc1<string>(url, 'eth_call', [{ to: state, data: stateIface.encodeFunctionData('counties', [COUNTY]) }, 'latest']));
          const countyAddr = `0x${county.slice(26)}`;
          const cityHashes = await sendAll(url, CITIES.map((c) => ({ from: owner, to: countyAddr, data: countyIface.encodeFunctionData('addCity', [c]) })));
          await mine(url, cityHashes);

          const geohashes = Array.from({ length: locations }, (_, i) => {
            const city = CITIES[i % CITIES.length];
            let g = city;
            while (g.length < 9) g += '0123456789bcdefghjkmnpqrstuvwxyz'[Math.floor(draw() * 32)];
            return g;
          });
          // Poisson process: exponential inter-arrival times at rate |U| per hour, for one hour
          const txs: { from: string; to: string; data: string }[] = [];
          let t = 0;
          for (;;) {
            t += -Math.log(1 - draw()) / users;
            if (t >= 1) break;
            const user = accounts[Math.floor(draw() * users)];
            const geohash = geohashes[Math.floor(draw() * locations)];
            const health = draw() < INFECTED_SHARE ? 1 : 0;
            const timestamp = 1_700_000_000 + Math.floor(t * 3600);
            txs.push({ from: user, to: state, data: stateIface.encodeFunctionData('checkIn', [timestamp, geohash, health]) });
          }
          const receipts = await mine(url, await sendAll(url, txs));
          const gas = receipts.map((r) => Number(BigInt(r.gasUsed)));
          perCheckin.push(...gas);
          roundMeans.push(mean(gas));
          checkins += gas.length;
        }
        all.push(...perCheckin);
        const row = { users, locations, checkins: Math.round(checkins / rounds), mean: Math.round(mean(perCheckin)), std: Math.round(std(roundMeans)), stdCheckin: Math.round(std(perCheckin)) };
        table.push(row);
        log(`s0: |U|=${users} L=${locations}: ${row.checkins} check-ins/round, ${row.mean} gas/check-in (±${row.std} across ${rounds} rounds, ±${row.stdCheckin} per check-in)`);
      }
    }
  } finally {
    await rpc1(url, 'evm_setAutomine', [true]);
  }
  return { all, table };
}

export const group: BenchGroup = {
  name: 'gas',
  async run({ quick, log }): Promise<BenchFigure[]> {
    const rounds = quick ? 1 : 10;
    const started = Date.now();
    const node = await startDevNode({ anvil: { accounts: Math.max(...USERS), gasLimit: 4_000_000_000n }, pollingIntervalMs: 20 });
    try {
      const waymark = await measureWaymark(node, quick ? 5 : 20, log);
      const s0 = await measureS0(node.anvil!, rounds, log);
      const perCheckin = waymark.steady / RECORDS_PER_BATCH;
      const s0Mean = mean(s0.all);
      log(`gas bench: ${s0.all.length} S0 check-ins in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return [
        {
          bench: 'gas.checkin.waymark', value: perCheckin, unit: 'gas/check-in', goal: 60, better: 'lower',
          recordsPerBatch: RECORDS_PER_BATCH, commitGas: Math.round(waymark.steady), commitGasStd: Math.round(waymark.steadyStd),
          firstCommitGas: waymark.first, batches: waymark.batches,
        },
        {
          bench: 'gas.checkin.s0', value: s0Mean, unit: 'gas/check-in', better: 'lower',
          std: Math.round(std(s0.all)), rounds, checkins: s0.all.length, users: USERS, locations: LOCATIONS, table: s0.table,
        },
        { bench: 'gas.ratio', value: s0Mean / perCheckin, unit: 'x', better: 'higher', note: 'S0 gas per check-in / Waymark gas per check-in' },
        {
          bench: 'gas.capacity.crossing', value: Math.round(waymark.capacity.over + waymark.capacity.restored), unit: 'gas/crowding', better: 'lower',
          over: Math.round(waymark.capacity.over), restored: Math.round(waymark.capacity.restored), policy: waymark.capacity.policy, crossings: waymark.capacity.crossings,
          note: 'a kiosk reporting its venue above capacity and the end of it (two transactions); setting the policy once',
        },
      ];
    } finally {
      await node.stop();
    }
  },
};
