/**
 * Fleet indexer figures at the scale: 500 kiosks and 1,000,000 BatchCommitted events
 * (`--quick`: 500 kiosks, 20,000 events) written to a fresh anvil by the bulk history
 * generator (sim/fleet-history.ts: 10-minute rounds of batches, six rounds per block, blocks
 * an hour of block time apart) on an anvil run with --prune-history, made final (32 empty
 * blocks), then `waymark fleet serve` (Ponder; PGlite, or the
 * Postgres in $WAYMARK_FLEET_BENCH_DATABASE_URL) backfilling it.
 * fleet.index_events_per_s: registry events / time from Ponder's "Started backfill indexing"
 * to the API showing every batch. fleet.api_p99_ms: /v1/fleet, /v1/exposures and
 * /v1/batches/hourly at 100 req/s, open loop, from a separate load-generator process.
 */
import { spawn } from 'node:child_process';
import type { BenchFigure, BenchGroup } from './types.js';
import type { LoadResult } from './http-load.js';
import { deployDevRegistry, devWallet, setUpDevRegion, startDevNode } from '../sim/dev-chain.js';
import { generateFleetHistory, mineFinality } from '../sim/fleet-history.js';
import { SIM_REGION } from '../cli/commands/fleet-simulation.js';
import { registryClient, registryContract } from '../contracts/client.js';
import { nextSeq } from '../contracts/actions/next-seq.js';
import { anvilBinaryPath } from '../contracts/anvil.js';
import { freePort, startFleetServer, waitForJson } from '../test/fleet/fleet-server.js';

interface FleetBody { totals: { kiosks: number; batches: number } }

/** An hour of 10-minute rounds per block: anvil's per-block cost grows with its state. */
const ROUNDS_PER_BLOCK = 6;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const ms = (x: number): number => Math.round(x * 10) / 10;

function runLoad(base: string, rate: number, seconds: number, paths: string[]): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/http-load.ts', base, String(rate), String(seconds), ...paths], {
      cwd: new URL('../', import.meta.url), stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load generator exited ${code}`))));
  });
}

/**
 * anvil with --prune-history: it otherwise keeps every block's state in memory, several GB
 * at a million events. Nothing here reads old state (Ponder reads logs and blocks).
 */
async function startPrunedAnvil(): Promise<{ rpcUrl: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(anvilBinaryPath(), ['--host', '127.0.0.1', '--port', String(port), '--prune-history'], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const rpcUrl = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => { if (child.exitCode === null) child.kill('SIGTERM'); await exited; };
  for (const deadline = Date.now() + 20_000; ;) {
    const up = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' })
      .then((r) => r.ok, () => false);
    if (up) return { rpcUrl, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error('anvil did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const group: BenchGroup = {
  name: 'fleet',
  async run({ quick, log }) {
    const kiosks = 500;
    const rounds = quick ? 40 : 2000;
    const exposures = 20;
    const databaseUrl = process.env.WAYMARK_FLEET_BENCH_DATABASE_URL || undefined;
    const anvil = await startPrunedAnvil();
    const node = await startDevNode({ rpcUrl: anvil.rpcUrl });
    try {
      const registry = await deployDevRegistry(node.provider);
      await setUpDevRegion(node.provider, registry, { prefix: SIM_REGION });
      log(`fleet: generating ${kiosks} kiosks × ${rounds} rounds = ${kiosks * rounds} batch events`);
      const g0 = Date.now();
      let decile = 0;
      const history = await generateFleetHistory({
        provider: node.provider, registry, kiosks, rounds, roundsPerBlock: ROUNDS_PER_BLOCK,
        onProgress: (p) => {
          if (p.phase !== 'rounds' || Math.floor((p.done * 10) / p.total) === decile) return;
          decile = Math.floor((p.done * 10) / p.total);
          log(`fleet: round ${p.done}/${p.total} (${Math.round((Date.now() - g0) / 1000)} s)`);
        },
      });
      const generateS = (Date.now() - g0) / 1000;
      // a few exposures (by the authority of the enclosing region) so the feed has rows, in one
      // block: anvil's cost per block grows with the state, a second or two at a million batches
      const authority = registryContract(registryClient(devWallet('authority', node.provider), registry));
      const chainNow = Number((await node.provider.getBlock('latest'))!.timestamp);
      await node.provider.send('evm_setAutomine', [false]);
      const sent = [];
      let nonce = await node.provider.getTransactionCount(devWallet('authority').address, 'pending');
      for (let i = 0; i < exposures; i++) {
        const venueId = history.venues[i * Math.floor(kiosks / exposures)]!;
        sent.push(await authority.getFunction('reportExposure')(venueId, chainNow - 7200, chainNow - 3600, { nonce: nonce++, gasLimit: 300_000 }) as { hash: string });
      }
      await node.provider.send('evm_mine', []);
      await node.provider.send('evm_setAutomine', [true]);
      for (const tx of sent) {
        if ((await node.provider.getTransactionReceipt(tx.hash))?.status !== 1) throw new Error(`reportExposure ${tx.hash} failed`);
      }
      await mineFinality(node.provider);
      // the registry's events, counted from the chain: BatchCommitted as the kiosks' nextSeq sum
      // (one event per sequence number), the others from their logs (a million logs are too
      // much for one eth_getLogs answer)
      const reader = registryClient(node.provider, registry);
      let batches = 0;
      for (const kiosk of history.kiosks) batches += Number(await nextSeq(reader, { kiosk }));
      const others: string[] = [];
      registryContract(reader).interface.forEachEvent((e) => { if (e.name !== 'BatchCommitted') others.push(e.topicHash); });
      const otherLogs = await node.provider.send('eth_getLogs', [{ address: registry, fromBlock: '0x0', toBlock: 'latest', topics: [others] }]) as unknown[];
      const events = batches + otherLogs.length;
      if (batches !== history.batches) throw new Error(`the kiosks committed ${batches} batches, expected ${history.batches}`);
      log(`fleet: ${events} registry events (${batches} batches) in ${await node.provider.getBlockNumber()} blocks, generated in ${generateS.toFixed(1)} s`);

      const server = await startFleetServer({ rpc: node.rpcUrl, registry, schema: 'fleet_bench', databaseUrl });
      try {
        let t0 = 0;
        for (const deadline = Date.now() + 300_000; !t0;) {
          if (server.log().includes('Started backfill indexing')) t0 = Date.now();
          else if (!server.running() || Date.now() > deadline) throw new Error(`fleet serve did not start indexing:\n${server.log().slice(-2000)}`);
          else await new Promise((r) => setTimeout(r, 20));
        }
        const fleet = await waitForJson<FleetBody>(`${server.url}/v1/fleet`, (f) => f.totals.batches === history.batches, 1_800_000, server.running);
        const indexS = (Date.now() - t0) / 1000;
        // the load runs against a caught-up indexer (Ponder's /ready), as an authority's would
        for (const deadline = Date.now() + 120_000; Date.now() < deadline && (await fetch(`${server.url}/ready`).then((r) => r.status, () => 0)) !== 200;) {
          await new Promise((r) => setTimeout(r, 200));
        }
        const backend = databaseUrl ? 'Postgres' : 'PGlite';
        const figures: BenchFigure[] = [{
          bench: 'fleet.index_events_per_s', value: Math.round(events / indexS), unit: 'events/s', goal: 5000, better: 'higher',
          events, batches: history.batches, kiosks: fleet.totals.kiosks, seconds: Math.round(indexS * 10) / 10, generateS: Math.round(generateS),
          note: `${events} registry events (${history.batches} BatchCommitted from ${kiosks} kiosks, ${Math.ceil(rounds / ROUNDS_PER_BLOCK)} blocks of batches, one per hour of 10-minute rounds) on anvil, final before Ponder starts; ` +
            `time from Ponder's "Started backfill indexing" to /v1/fleet counting every batch (${backend}); excludes Ponder's start-up and the history generation (${generateS.toFixed(0)} s)`,
        }];

        const since = chainNow - (chainNow % 3600) - 86_400;
        const paths = ['/v1/fleet', `/v1/exposures?region=${SIM_REGION}&since=${since}`, '/v1/batches/hourly?hours=24'];
        const seconds = quick ? 10 : 30;
        log(`fleet: ${paths.join(', ')} at 100 req/s for ${seconds} s`);
        const load = await runLoad(server.url, 100, seconds, paths);
        const all = Object.values(load.perPath).flat().sort((a, b) => a - b);
        const perPath = Object.fromEntries(Object.entries(load.perPath).map(([p, l]) => {
          l.sort((a, b) => a - b);
          return [p.split('?')[0], { p50: ms(percentile(l, 50)), p99: ms(percentile(l, 99)), max: ms(l[l.length - 1]!) }];
        }));
        figures.push({
          bench: 'fleet.api_p99_ms', value: ms(percentile(all, 99)), unit: 'ms', goal: 50, better: 'lower',
          p50: ms(percentile(all, 50)), requests: load.requests, errors: load.errors, kiosks: fleet.totals.kiosks, batches: fleet.totals.batches, perPath,
          note: `open loop, 100 req/s for ${seconds} s round-robin over ${paths.length} routes, from a separate process on the same machine (anvil idle, Ponder caught up); ` +
            `${fleet.totals.kiosks} kiosks, ${fleet.totals.batches} batch rows, ${backend}; latency from scheduled send to last body byte; no CDN in front`,
        });
        return figures;
      } finally {
        await server.stop();
      }
    } finally {
      await node.stop();
      await anvil.stop();
    }
  },
};
