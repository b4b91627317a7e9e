/**
 * Fleet indexer figures, scaled down from the 500 kiosks / 1,000,000 batch events to
 * what one loaded dev machine reaches in minutes: a light fleet on anvil (fleet simulate's
 * engine), then `waymark fleet serve` (Ponder on PGlite) indexing it from block 0.
 * fleet.index_events_per_s: registry events / time from Ponder's backfill start to the API
 * showing every batch. fleet.api_p99_ms: /v1/exposures and /v1/fleet at 100 req/s.
 */
import { id as topicOf } from 'ethers';
import type { BenchFigure, BenchGroup } from './types.js';
import { startDevNode } from '../sim/dev-chain.js';
import { runFleetSimulation } from '../cli/commands/fleet-simulation.js';
import { startFleetServer, waitForJson } from '../test/fleet/fleet-server.js';

interface FleetBody { totals: { kiosks: number }; regions: { venues: { kiosks: { batches: number }[] }[] }[] }
const batchesOf = (f: FleetBody): number => f.regions.flatMap((r) => r.venues).flatMap((v) => v.kiosks).reduce((n, k) => n + k.batches, 0);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const group: BenchGroup = {
  name: 'fleet',
  async run({ quick, log }) {
    const kiosks = quick ? 20 : 100;
    const durationS = quick ? 10 : 40;
    const node = await startDevNode({ anvil: { accounts: 10 } });
    try {
      log(`fleet: simulating ${kiosks} kiosks for ${durationS} s`);
      const sim = await runFleetSimulation({ provider: node.provider, rpcUrl: node.rpcUrl, chainId: node.chainId, kiosks, durationS, batchEveryMs: 500, recordsPerBatch: 2 });
      const logs = await node.provider.getLogs({ address: sim.registry, fromBlock: 0, toBlock: 'latest' });
      const batchTopic = topicOf('BatchCommitted(uint64,address,uint64,bytes32,uint32,uint64,uint64)');
      log(`fleet: ${logs.length} registry events (${logs.filter((l) => l.topics[0] === batchTopic).length} batches), ${await node.provider.getBlockNumber()} blocks`);
      const server = await startFleetServer({ rpc: node.rpcUrl, registry: sim.registry, schema: 'fleet_bench' });
      try {
        // Ponder logs "Started backfill indexing" once the database is up; time from there
        for (const deadline = Date.now() + 120_000; !(await fetch(`${server.url}/health`).then((r) => r.ok, () => false));) {
          if (!server.running() || Date.now() > deadline) throw new Error(`fleet serve did not come up:\n${server.log().slice(-2000)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        let t0 = Date.now();
        for (;;) {
          if (server.log().includes('Started backfill indexing')) { t0 = Date.now(); break; }
          await new Promise((r) => setTimeout(r, 50));
        }
        await waitForJson<FleetBody>(`${server.url}/v1/fleet`, (f) => batchesOf(f) === logs.filter((l) => l.topics[0] === batchTopic).length, 300_000, server.running);
        const indexS = (Date.now() - t0) / 1000;
        const figures: BenchFigure[] = [{
          bench: 'fleet.index_events_per_s', value: Math.round(logs.length / indexS), unit: 'events/s', goal: 5000, better: 'higher',
          events: logs.length, kiosks, note: `scaled down: ${logs.length} events from ${kiosks} kiosks on anvil, PGlite; includes the realtime tail Ponder indexes block by block`,
        }];
        // 100 req/s, open loop, for 10 s (3 s quick): wallets' feed and the dashboard's overview
        const seconds = quick ? 3 : 10;
        const latencies: number[] = [];
        const inFlight: Promise<void>[] = [];
        for (let i = 0; i < seconds * 100; i++) {
          const path = i % 2 === 0 ? '/v1/exposures?region=u4pr&since=0' : '/v1/fleet';
          const start = performance.now();
          inFlight.push(fetch(server.url + path).then(async (r) => { await r.arrayBuffer(); latencies.push(performance.now() - start); }));
          await new Promise((r) => setTimeout(r, 10));
        }
        await Promise.all(inFlight);
        latencies.sort((a, b) => a - b);
        figures.push({
          bench: 'fleet.api_p99_ms', value: Math.round(percentile(latencies, 99) * 10) / 10, unit: 'ms', goal: 50, better: 'lower',
          p50: Math.round(percentile(latencies, 50) * 10) / 10, requests: latencies.length, kiosks, batches: sim.batches,
          note: `scaled down: ${kiosks} kiosks, ${sim.batches} batch events (goal is 500 kiosks, 1,000,000 events); no CDN in front`,
        });
        return figures;
      } finally {
        await server.stop();
      }
    } finally {
      await node.stop();
    }
  },
};
