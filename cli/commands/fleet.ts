/**
 * `waymark fleet serve` runs the fleet indexer (Ponder over the registry's events, with the
 * dashboard and JSON API); `waymark fleet simulate` provisions and runs a light kiosk fleet.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { probeChainId } from '../../kiosk/batcher/outbox-chain.js';
import { FLEET_APP_DIR, FLEET_ENV, ponderBinPath } from '../../fleet/app.js';
import { addressFlag, booleanFlag, intFlag, positiveNumberFlag, stringFlag, urlFlag, usage } from '../flags.js';

export const fleetServeCommand: CliCommand = {
  name: 'fleet serve',
  summary: "Index a registry's events (Ponder) and serve the fleet dashboard and JSON API",
  options: {
    rpc: { type: 'string', description: 'JSON-RPC URL of the chain (required)' },
    registry: { type: 'string', description: 'WaymarkRegistry address (required)' },
    'from-block': { type: 'string', description: 'first block to index (default 0; the deployment block saves time)' },
    port: { type: 'string', description: 'HTTP port (default 42069)' },
    'data-dir': { type: 'string', description: 'PGlite directory (default ./.waymark-fleet/pglite); ignored when $DATABASE_URL names a Postgres' },
    schema: { type: 'string', description: 'database schema Ponder writes to (default waymark_fleet)' },
    'batch-interval-s': { type: 'string', description: "kiosks' expected batch interval, s (default 600)" },
    'silent-after': { type: 'string', description: 'flag a kiosk silent after this many missed intervals (default 3)' },
    'polling-ms': { type: 'string', description: 'how often the indexer polls the node, ms (default 1000)' },
  },
  usage: `Examples:
  waymark fleet serve --rpc http://127.0.0.1:8545 --registry 0x5FbD... --port 42069
  DATABASE_URL=postgres://fleet@localhost/fleet waymark fleet serve --rpc https://rpc.example --registry 0x... --from-block 1200
Pages: / (dashboard), /v1/fleet, /v1/exposures?region=&since=, /v1/crowding?region=&since=, /v1/batches/hourly, /graphql, /ready.`,
  async run({ values }, io) {
    const rpc = urlFlag(values, 'rpc', { required: 'URL' });
    const registry = addressFlag(values, 'registry', { required: 'ADDRESS' });
    const fromBlock = intFlag(values, 'from-block', { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 0;
    const port = intFlag(values, 'port', { min: 1, max: 65535 }) ?? 42069;
    const schema = stringFlag(values, 'schema') ?? 'waymark_fleet';
    if (!/^[a-z_][a-z0-9_]{0,44}$/.test(schema)) usage('--schema must be a lowercase SQL name of at most 45 characters', 'schema');
    const interval = positiveNumberFlag(values, 'batch-interval-s') ?? 600;
    const silentAfter = positiveNumberFlag(values, 'silent-after') ?? 3;
    const pollingMs = intFlag(values, 'polling-ms', { min: 10, max: 600_000 }) ?? 1000;
    const dataDir = resolve(io.cwd, stringFlag(values, 'data-dir') ?? '.waymark-fleet/pglite');
    const chainId = await probeChainId(rpc, 10_000);
    mkdirSync(dirname(dataDir), { recursive: true });
    const env: NodeJS.ProcessEnv = {
      ...io.env,
      PONDER_TELEMETRY_DISABLED: 'true',
      [FLEET_ENV.rpc]: rpc,
      [FLEET_ENV.chainId]: String(chainId),
      [FLEET_ENV.registry]: registry,
      [FLEET_ENV.fromBlock]: String(fromBlock),
      [FLEET_ENV.pgliteDir]: dataDir,
      [FLEET_ENV.pollingMs]: String(pollingMs),
      [FLEET_ENV.batchIntervalS]: String(interval),
      [FLEET_ENV.silentAfter]: String(silentAfter),
    };
    io.stderr(`fleet: indexing ${registry} on chain ${chainId} from block ${fromBlock} into ${io.env.DATABASE_URL ? 'Postgres ($DATABASE_URL)' : dataDir}; http://0.0.0.0:${port}/\n`);
    // a larger young generation: backfill allocates a short-lived object per log, and the
    // default semi-space makes the scavenger about a sixth of a backfill's CPU (docs/FLEET.md)
    const child = spawn(process.execPath, ['--max-semi-space-size=64', ponderBinPath(), '--root', FLEET_APP_DIR, '--log-format', 'json', 'start', '--schema', schema, '--port', String(port)], {
      // Ponder writes generated/schema.graphql under its cwd: keep it next to the data, out of the tree
      cwd: dirname(dataDir), env, stdio: ['ignore', 'inherit', 'inherit'],
    });
    const stop = (): void => { child.kill('SIGTERM'); };
    io.signal.addEventListener('abort', stop, { once: true });
    const code = await new Promise<number>((done) => child.once('exit', (c, sig) => done(c ?? (sig ? 1 : 0))));
    io.signal.removeEventListener('abort', stop);
    return io.signal.aborted ? 0 : code;
  },
};

export const fleetSimulateCommand: CliCommand = {
  name: 'fleet simulate',
  summary: 'Provision N venues with one kiosk each on one chain and run them light (batcher only), or write bulk batch history',
  options: {
    kiosks: { type: 'string', description: 'how many kiosks (and venues) (required)' },
    rpc: { type: 'string', description: "JSON-RPC URL of an anvil holding its dev keys (default: start an anvil)" },
    registry: { type: 'string', description: 'use this registry (dev admin) instead of deploying one' },
    duration: { type: 'string', description: 'seconds to run the kiosks (default 30)' },
    'batch-every-ms': { type: 'string', description: 'each kiosk closes a batch this often, ms (default 2000)' },
    rounds: { type: 'string', description: 'instead of running kiosks: write this many rounds of bulk history (each kiosk commits one batch per round, one block per round)' },
    'round-interval-s': { type: 'string', description: 'block time between history rounds, s (default 600)' },
    'rounds-per-block': { type: 'string', description: 'history rounds mined into one block (default 1; 6 = an hour of 10-minute rounds per block, much faster for long histories)' },
    json: { type: 'boolean', description: 'print {registry, kiosks, venues, batches} as JSON (with --rounds also rounds and seconds)' },
  },
  usage: `Examples:
  waymark fleet simulate --kiosks 50 --rpc http://127.0.0.1:8545 --duration 60 --json
  waymark fleet simulate --kiosks 500 --rounds 2000 --rounds-per-block 6 --rpc http://127.0.0.1:8545 --json
Uses anvil's dev keys (admin funds the kiosks, account 1 registers venues, account 2 authorizes kiosks).
--rounds writes history in bulk for load-testing an indexer: a helper contract becomes the authority
of region u4prz, registers the venues and authorizes one kiosk contract at each; every round all
kiosks commit their next batch, --round-interval-s of block time after the last, one block per
round (or per --rounds-per-block rounds; the chain's clock moves ahead accordingly), then 32 empty
blocks make the history final. Start anvil with --prune-history for long histories.`,
  async run({ values }, io) {
    const kiosks = intFlag(values, 'kiosks', { min: 1, max: 10_000, required: 'N' });
    const rpc = urlFlag(values, 'rpc');
    const registry = addressFlag(values, 'registry');
    const rounds = intFlag(values, 'rounds', { min: 1, max: 1_000_000 });
    const roundIntervalS = intFlag(values, 'round-interval-s', { min: 1, max: 86_400 });
    const roundsPerBlock = intFlag(values, 'rounds-per-block', { min: 1, max: 1000 });
    if (rounds === undefined && roundIntervalS !== undefined) usage('--round-interval-s needs --rounds', 'round-interval-s');
    if (rounds === undefined && roundsPerBlock !== undefined) usage('--rounds-per-block needs --rounds', 'rounds-per-block');
    if (rounds !== undefined && (values.duration !== undefined || values['batch-every-ms'] !== undefined)) usage('--rounds writes history; --duration and --batch-every-ms run kiosks', 'rounds');
    const durationS = positiveNumberFlag(values, 'duration') ?? 30;
    const batchEveryMs = intFlag(values, 'batch-every-ms', { min: 50, max: 3_600_000 });
    const json = booleanFlag(values, 'json');
    const { startDevNode } = await import('../../sim/dev-chain.js');
    const node = await startDevNode(rpc ? { rpcUrl: rpc } : {});
    try {
      const result = rounds === undefined
        ? await runKiosks()
        : await (await import('./fleet-simulation.js')).writeFleetHistory({
          provider: node.provider, kiosks, rounds, registry, intervalS: roundIntervalS, roundsPerBlock, progress: (line) => io.stderr(`fleet: ${line}\n`),
        });
      if (json) io.stdout(`${JSON.stringify(result)}\n`);
      else io.stdout(`registry ${result.registry}: ${result.kiosks.length} kiosks at ${result.venues.length} venues committed ${result.batches} batches\n`);
      return 0;
    } finally {
      await node.stop();
    }

    async function runKiosks(): Promise<import('./fleet-simulation.js').FleetSimulationResult> {
      const { runFleetSimulation } = await import('./fleet-simulation.js');
      return runFleetSimulation({
        provider: node.provider, rpcUrl: node.rpcUrl, chainId: node.chainId, kiosks, durationS, registry, batchEveryMs, signal: io.signal,
        onProvisioned: (f) => { if (!json) io.stderr(`fleet: registry ${f.registry}, ${f.venues.length} venues provisioned; running ${durationS} s\n`); },
      });
    }
  },
};

export const fleetCommands: CliCommand[] = [fleetServeCommand, fleetSimulateCommand];
