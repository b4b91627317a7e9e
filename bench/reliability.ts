/**
 * `npm run reliability -- [--kills N] [--json] [--scenario kill|outage|reorg] [--seed S]`:
 * runs `waymark kiosk start` (virtual radio, a persistent data dir in a temp folder) against
 * an anvil this process starts, under concurrent HTTP check-ins; SIGKILLs and restarts the
 * kiosk at random moments, stops the chain node for a while (outage) or reorgs its last
 * blocks (reorg); then lets a last clean run drain the outbox and checks that every
 * acknowledged attestation has a Merkle proof whose root the registry holds under its seq,
 * and that the kiosk's seqs on chain have no duplicates and no gaps. Prints one JSON line
 * `{scenario, seed, kills, acknowledged, lost, duplicateSeqs, skippedSeqs, ...}`; exits 0
 * only when nothing was lost and the seqs are whole. Progress goes to stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { JsonRpcProvider } from 'ethers';
import { isWaymarkError } from '../core/errors.js';
import { ENV } from '../core/paths.js';
import type { KioskConfigInput } from '../core/config.js';
import { startAnvil, type AnvilNode } from '../contracts/anvil.js';
import { registryClient, registryContract, type RegistryClient } from '../contracts/client.js';
import { batchRoot } from '../contracts/actions/batch-root.js';
import { nextSeq } from '../contracts/actions/next-seq.js';
import { fetchCheckinToken, fetchRecordProof, newVisitorCommitment, postCheckin, type FetchLike } from '../beacon/visitor/client.js';
import { verifyRecordProof } from '../beacon/visitor/proofs.js';
import { verifyAttestation, type SignedCheckinAttestation } from '../beacon/visitor/attestation.js';
import { DEV_GEOHASH, deployDevRegistry, devWallet, setUpDevVenue, startDevNode, type DevNode } from '../sim/dev-chain.js';
import { SimRandom } from '../sim/rng.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SCENARIOS = ['kill', 'outage', 'reorg'] as const;
type Scenario = (typeof SCENARIOS)[number];

/** Interval mining, so commits wait in the mempool for a while (as on a real chain) and a reorg has blocks to drop. */
const BLOCK_TIME_S = 0.5;
/** The kiosk's confirmation depth; by default reorgs go up to one block deeper (a reorg of this depth or more can undo a confirmed batch). */
const CONFIRMATIONS = 2;
const ZERO_ROOT = '0x' + '0'.repeat(64);

interface Options {
  scenario: Scenario;
  kills: number;
  seed: string;
  json: boolean;
  /** Check-ins per second over all clients, and how many clients. */
  rate: number;
  concurrency: number;
  /** A kiosk runs at most this long before it is killed, seconds. */
  upS: number;
  /** How long the chain node stays down (outage). */
  outageS: number;
  /** How many reorgs (reorg), and the deepest (blocks replaced). */
  reorgs: number;
  reorgDepth: number;
  /** How long the last run may take to anchor everything, seconds. */
  drainTimeoutS: number;
  keep: boolean;
}

interface ReliabilityResult {
  scenario: Scenario;
  seed: string;
  kills: number;
  acknowledged: number;
  lost: number;
  duplicateSeqs: number;
  skippedSeqs: number;
  /** Batch seqs on chain. */
  batches: number;
  /** Batches the kiosk counts as confirmed whose root the registry does not hold under their seq. */
  unanchoredBatches: number;
  /** Check-ins answered 201 whose attestation did not verify for its visitor. */
  invalidAttestations: number;
  outageS?: number;
  reorgs?: number;
  /** Transactions (all the kiosk's) in the blocks the reorgs replaced. */
  reorgedTxs?: number;
  /** The last run stopped on SIGTERM with exit code 0. */
  cleanStop: boolean;
  durationS: number;
  error?: string;
}

const USAGE = `Usage: npm run reliability -- [--kills N] [--json] [--scenario kill|outage|reorg] [--seed S]
  [--rate PER_S] [--concurrency N] [--up-s S] [--outage-s S] [--reorgs N] [--reorg-depth N]
  [--drain-timeout-s S] [--keep]
Runs a kiosk against its own anvil under check-in load, kills it with SIGKILL N times (default 5
for kill, 0 for outage and reorg), disturbs the chain (outage, reorg), drains the outbox and checks
that every acknowledged attestation is anchored. Prints one JSON line; exit 0 only when lost,
duplicateSeqs and skippedSeqs are all 0.
`;

function parseOptions(argv: string[]): Options | string {
  const { values } = parseArgs({
    args: argv,
    options: {
      kills: { type: 'string' }, json: { type: 'boolean' }, scenario: { type: 'string' }, seed: { type: 'string' },
      rate: { type: 'string' }, concurrency: { type: 'string' }, 'up-s': { type: 'string' }, 'outage-s': { type: 'string' },
      reorgs: { type: 'string' }, 'reorg-depth': { type: 'string' }, 'drain-timeout-s': { type: 'string' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return USAGE;
  const scenario = (values.scenario ?? 'kill') as Scenario;
  if (!SCENARIOS.includes(scenario)) throw new RangeError(`--scenario must be one of ${SCENARIOS.join(', ')}, got ${values.scenario}`);
  const num = (name: string, text: string | undefined, fallback: number, min: number, integer = false): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) throw new RangeError(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${text}`);
    return n;
  };
  return {
    scenario,
    kills: num('kills', values.kills, scenario === 'kill' ? 5 : 0, 0, true),
    seed: values.seed ?? String(Date.now() % 1_000_000_000),
    json: values.json === true,
    rate: num('rate', values.rate, 10, 0.1),
    concurrency: num('concurrency', values.concurrency, 4, 1, true),
    upS: num('up-s', values['up-s'], 4, 0.5),
    outageS: num('outage-s', values['outage-s'], 6, 0.5),
    reorgs: num('reorgs', values.reorgs, 3, 1, true),
    reorgDepth: num('reorg-depth', values['reorg-depth'], CONFIRMATIONS + 1, 1, true),
    drainTimeoutS: num('drain-timeout-s', values['drain-timeout-s'], 180, 5),
    keep: values.keep === true,
  };
}

const t0 = performance.now();
function progress(line: string): void {
  process.stderr.write(`[reliability +${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}\n`);
}
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The dev chain on an anvil whose state survives a stop (the outage scenario restarts it on the same port). */
class ReliabilityChain {
  readonly dev: DevNode;
  readonly registry: string;
  readonly venueId: bigint;
  readonly reader: RegistryClient;
  readonly #stateFile: string;
  #node: AnvilNode;

  private constructor(dev: DevNode, registry: string, venueId: bigint, stateFile: string) {
    this.dev = dev;
    this.registry = registry;
    this.venueId = venueId;
    this.reader = registryClient(dev.provider, registry);
    this.#stateFile = stateFile;
    this.#node = dev.anvil!;
  }

  static async start(dir: string): Promise<ReliabilityChain> {
    const stateFile = join(dir, 'anvil-state.json');
    const dev = await startDevNode({ anvil: { stateFile, blockTime: BLOCK_TIME_S }, pollingIntervalMs: 100 });
    try {
      const registry = await deployDevRegistry(dev.provider);
      const venueId = await setUpDevVenue(dev.provider, registry, { geohash: DEV_GEOHASH, kiosk: devWallet('kiosk').address });
      return new ReliabilityChain(dev, registry, venueId, stateFile);
    } catch (err) {
      await dev.stop();
      throw err;
    }
  }

  get provider(): JsonRpcProvider {
    return this.dev.provider;
  }

  /** Stops the node (it dumps its state), waits `downMs`, starts it again on the same port with that state. */
  async outage(downMs: number): Promise<void> {
    const port = this.#node.port;
    await this.#node.stop();
    await sleep(downMs);
    for (let attempt = 1; ; attempt++) {
      try {
        this.#node = await startAnvil({ port, stateFile: this.#stateFile, blockTime: BLOCK_TIME_S });
        return;
      } catch (err) {
        if (attempt >= 5) throw err;
        await sleep(500);
      }
    }
  }

  /**
   * Replaces the last `depth` blocks with empty ones (anvil_reorg); with `reinject` their
   * transactions go back to the pool, as a node that saw them re-injects them, else they are
   * gone, as on a node that never saw the dropped branch. Returns how many there were.
   */
  async reorg(depth: number, reinject: boolean): Promise<number> {
    const head = await this.provider.getBlockNumber();
    const raws: string[] = [];
    for (let n = head - depth + 1; n <= head; n++) {
      for (const hash of (await this.provider.getBlock(n))?.transactions ?? []) raws.push(await this.provider.send('eth_getRawTransactionByHash', [hash]));
    }
    await this.provider.send('anvil_reorg', [depth, []]);
    if (reinject) for (const raw of raws) await this.provider.send('eth_sendRawTransaction', [raw]).catch(() => {});
    return raws.length;
  }

  /** Waits (up to `timeoutMs`) until the kiosk has committed a batch. */
  async firstCommit(kiosk: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await nextSeq(this.reader, { kiosk })) === 0n) {
      if (Date.now() > deadline) throw new Error(`the kiosk committed no batch within ${timeoutMs / 1000} s`);
      await sleep(250);
    }
  }

  /** Waits (up to `timeoutMs`) until the head block holds a transaction. */
  async headWithTransaction(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (((await this.provider.getBlock('latest'))?.transactions.length ?? 0) > 0) return true;
      await sleep(100);
    }
    return false;
  }

  /** For a failed run: the account's mined and pending nonces and what the node's pool holds from it. */
  async accountState(address: string): Promise<string> {
    const [latest, pending] = await Promise.all([this.provider.getTransactionCount(address, 'latest'), this.provider.getTransactionCount(address, 'pending')]);
    const pool = (await this.provider.send('txpool_inspect', []).catch(() => null)) as { pending?: Record<string, Record<string, string>>; queued?: Record<string, Record<string, string>> } | null;
    const mine = (part?: Record<string, Record<string, string>>) => Object.keys(Object.entries(part ?? {}).find(([a]) => a.toLowerCase() === address.toLowerCase())?.[1] ?? {});
    return `nonce ${latest} mined, ${pending} pending; pool: pending nonces [${mine(pool?.pending)}], queued nonces [${mine(pool?.queued)}]`;
  }

  /** The seqs of the kiosk's BatchCommitted events on the canonical chain. */
  async committedSeqs(kiosk: string): Promise<number[]> {
    const contract = registryContract(this.reader);
    const events = await contract.queryFilter(contract.filters.BatchCommitted!(this.venueId, kiosk), 0, 'latest');
    return events.map((ev) => Number((ev as unknown as { args: { seq: bigint } }).args.seq));
  }

  async stop(): Promise<void> {
    await this.dev.stop();
    await this.#node.stop();
  }
}

/** One life of `waymark kiosk start`, its output appended to the run's log file. */
class KioskProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(configFile: string, logFile: string, env: NodeJS.ProcessEnv, run: number) {
    appendFileSync(logFile, `--- run ${run} (${new Date().toISOString()}) ---\n`);
    const fd = openSync(logFile, 'a');
    try {
      this.child = spawn(process.execPath, ['--import', 'tsx', 'cli/waymark.ts', 'kiosk', 'start', '--config', configFile], { cwd: REPO, env, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once check-in tokens are served; throws if the kiosk exits or takes longer than `timeoutMs`. */
  async ready(url: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`the kiosk exited during start-up (code ${this.child.exitCode}, signal ${this.child.signalCode})`);
      try {
        await fetchCheckinToken(url, timedFetch);
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error(`the kiosk did not serve check-in tokens within ${timeoutMs / 1000} s`);
  }

  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM; true when it exits 0 within `timeoutMs` (else it is killed). */
  async stop(timeoutMs = 30_000): Promise<boolean> {
    if (!this.running) return false;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const { code } = await this.exited;
    clearTimeout(timer);
    return code === 0;
  }
}

/** fetch with a deadline, so a request to a kiosk that died mid-answer cannot hang a client. */
const timedFetch: FetchLike = (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(5_000) }) as ReturnType<FetchLike>;

/** Visitors checking in over HTTP at about `rate` per second; every 201 is remembered by attestation id. */
class CheckinLoad {
  readonly acknowledged = new Map<string, SignedCheckinAttestation>();
  readonly refusals = new Map<string, number>();
  invalid = 0;
  #running = false;
  #workers: Promise<void>[] = [];

  constructor(private readonly url: string, private readonly rate: number, private readonly concurrency: number) {}

  start(): void {
    this.#running = true;
    this.#workers = Array.from({ length: this.concurrency }, () => this.#worker());
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#workers);
  }

  async #worker(): Promise<void> {
    const periodMs = (1000 * this.concurrency) / this.rate;
    let token: { token: string; expiresAt: number } | undefined;
    while (this.#running) {
      const began = performance.now();
      try {
        // a phone scans the live QR code: a token with some of its validity left
        if (!token || token.expiresAt - Date.now() / 1000 < 10) token = await fetchCheckinToken(this.url, timedFetch);
        const visitor = newVisitorCommitment();
        const attestation = await postCheckin(this.url, { visitor, token: token.token }, timedFetch);
        this.acknowledged.set(attestation.id.toLowerCase(), attestation);
        try {
          verifyAttestation(attestation, { visitor });
        } catch {
          this.invalid++;
        }
      } catch (err) {
        const code = isWaymarkError(err) ? err.code : 'ERROR';
        this.refusals.set(code, (this.refusals.get(code) ?? 0) + 1);
        token = undefined;
        if (code === 'WAYMARK_ERR_KIOSK_UNREACHABLE') await sleep(100);
      }
      await sleep(Math.max(0, periodMs - (performance.now() - began)));
    }
  }
}

interface LocalBatch { seq: number; root: string; state: string }

/** Every batch of the kiosk's outbox, through the operator API (loopback needs no token). */
async function outboxBatches(url: string): Promise<LocalBatch[]> {
  const all: LocalBatch[] = [];
  let before: number | undefined;
  for (;;) {
    const res = await fetch(`${url}v1/batches?limit=500${before === undefined ? '' : `&before=${before}`}`);
    if (!res.ok) throw new Error(`GET /v1/batches answered ${res.status}`);
    const page = ((await res.json()) as { batches: LocalBatch[] }).batches;
    all.push(...page);
    if (page.length < 500) return all;
    before = page.at(-1)!.seq;
  }
}

/**
 * Checks the acknowledged attestations until each has a proof that verifies and whose root
 * the registry holds under its seq, or the deadline passes; returns the ones that never did.
 */
async function awaitAnchored(url: string, chain: ReliabilityChain, attestations: Map<string, SignedCheckinAttestation>, deadline: number): Promise<Map<string, string>> {
  const open = new Map([...attestations].map(([id]) => [id, 'not checked']));
  const roots = new Map<number, string>();
  const readRoot = async (kiosk: string, seq: number) => roots.get(seq) ?? (await batchRoot(chain.reader, { kiosk, seq }));
  let lastReport = 0;
  while (open.size > 0) {
    for (const id of [...open.keys()]) {
      try {
        const proof = await fetchRecordProof(url, id, timedFetch);
        if (!proof) {
          open.set(id, 'not in a batch');
          continue;
        }
        const check = await verifyRecordProof(attestations.get(id)!, proof, readRoot);
        if (check.onChain === 'matches') {
          roots.set(check.seq, check.root);
          open.delete(id);
        } else open.set(id, `batch ${check.seq} not anchored`);
      } catch (err) {
        open.set(id, isWaymarkError(err) ? `${err.code}: ${err.message}` : String(err));
      }
    }
    if (open.size === 0 || Date.now() > deadline) break;
    if (Date.now() - lastReport > 5_000) {
      lastReport = Date.now();
      progress(`draining: ${attestations.size - open.size}/${attestations.size} attestations anchored`);
    }
    await sleep(1_000);
  }
  return open;
}

/** The kiosk's data dir, key, config and environment; the clock counts as synchronized (time-sync flag), so check-ins go on while the chain is down. */
async function provisionKiosk(dir: string, chain: ReliabilityChain): Promise<{ configFile: string; env: NodeJS.ProcessEnv; url: string; address: string }> {
  const dataDir = join(dir, 'kiosk');
  mkdirSync(dataDir, { mode: 0o700 });
  const wallet = devWallet('kiosk');
  const keyFile = join(dataDir, 'kiosk-key.hex');
  writeFileSync(keyFile, wallet.privateKey + '\n', { mode: 0o600 });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const config: KioskConfigInput = {
    venue: { name: 'Reliability', geohash: DEV_GEOHASH },
    dataDir,
    radio: { adapter: 'virtual' },
    http: { host: '127.0.0.1', port },
    // rate limits count per client address, and every client here is 127.0.0.1
    checkin: { publicUrl: url, rateLimit: { checkinsPerMinute: 1_000_000, tokenReadsPerMinute: 1_000_000 } },
    chain: { rpcUrl: chain.dev.rpcUrl, chainId: chain.dev.chainId, registry: chain.registry, venueId: Number(chain.venueId), keyFile, confirmations: CONFIRMATIONS },
    // batches close often, so kills land between every step of the outbox
    batch: { maxAgeS: 2, maxRecords: 16 },
  };
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const timesyncFlag = join(dir, 'timesync-synchronized');
  writeFileSync(timesyncFlag, '');
  const env: NodeJS.ProcessEnv = { ...process.env, [ENV.TIMESYNC_FLAG]: timesyncFlag, [ENV.LOG_LEVEL]: 'info' };
  for (const name of [ENV.CONFIG, ENV.DATA_DIR, ENV.HTTP_PORT, ENV.RPC_URL, ENV.KEY_PASSPHRASE]) delete env[name];
  return { configFile, env, url, address: wallet.address };
}

/** The chain's trouble of the scenario, into a working outbox: once the kiosk has a batch on chain, at a random moment. */
async function disturbChain(o: Options, chain: ReliabilityChain, kiosk: string, rng: SimRandom, result: ReliabilityResult): Promise<void> {
  await chain.firstCommit(kiosk, 90_000);
  await sleep(rng.uniform(500, 2_500));
  if (o.scenario === 'outage') {
    progress(`chain node down for ${o.outageS} s`);
    await chain.outage(o.outageS * 1000);
    progress('chain node back with its state');
    result.outageS = o.outageS;
    return;
  }
  result.reorgs = 0;
  result.reorgedTxs = 0;
  for (let i = 0; i < o.reorgs; i++) {
    if (!(await chain.headWithTransaction(15_000))) progress('no commit in the head block for 15 s; reorging anyway');
    const depth = rng.int(1, o.reorgDepth);
    const reinject = rng.chance(0.5);
    const dropped = await chain.reorg(depth, reinject);
    result.reorgs++;
    result.reorgedTxs += dropped;
    progress(`reorg ${i + 1}/${o.reorgs}: last ${depth} block(s) replaced; their ${dropped} transaction(s) ${reinject ? 'back in the pool' : 'gone'}`);
    await sleep(rng.uniform(1_500, 3_000));
  }
}

/**
 * Once every batch the outbox had closed is confirmed (or the deadline passed): each one's
 * root must be the registry's for its seq, and the seqs on chain must be whole.
 */
async function auditSeqs(url: string, chain: ReliabilityChain, kiosk: string, deadline: number, result: ReliabilityResult): Promise<void> {
  let local = await outboxBatches(url);
  const upTo = local.length ? Math.max(...local.map((b) => b.seq)) : -1;
  while (Date.now() < deadline && local.some((b) => b.seq <= upTo && b.state !== 'confirmed')) {
    await sleep(1_000);
    local = await outboxBatches(url);
  }
  for (const b of local) {
    if (b.seq > upTo || b.state !== 'confirmed') continue;
    const root = (await batchRoot(chain.reader, { kiosk, seq: b.seq })).toLowerCase();
    if (root !== b.root.toLowerCase()) {
      result.unanchoredBatches++;
      progress(`batch ${b.seq} is confirmed in the outbox but the registry holds ${root === ZERO_ROOT ? 'nothing' : root} for it`);
    }
  }
  const seen = new Map<number, number>();
  for (const seq of await chain.committedSeqs(kiosk)) seen.set(seq, (seen.get(seq) ?? 0) + 1);
  result.batches = seen.size;
  result.duplicateSeqs = [...seen.values()].reduce((n, c) => n + c - 1, 0);
  const highest = Math.max(upTo, ...seen.keys());
  for (let seq = 0; seq <= highest; seq++) if (!seen.has(seq)) result.skippedSeqs++;
  progress(`chain: ${seen.size} batch seq(s) up to ${highest}; the outbox had closed up to ${upTo}`);
}

/** What the outbox had to repair over all runs, counted from the kiosk's log messages. */
function repairsIn(logFile: string): string {
  const counts = new Map<string, number>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    const msg = /"msg":"([^"]*)"/.exec(line)?.[1];
    if (msg && /rebroadcast|re-sign|re-commit|re-priced|missing on chain|round failed/.test(msg)) counts.set(msg, (counts.get(msg) ?? 0) + 1);
  }
  return counts.size ? [...counts].map(([m, n]) => `${n}× "${m}"`).join(', ') : 'none';
}

async function main(argv: string[]): Promise<number> {
  let opts: Options | string;
  try {
    opts = parseOptions(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message} (WAYMARK_ERR_USAGE)\n${USAGE}`);
    return 2;
  }
  if (typeof opts === 'string') {
    process.stdout.write(opts);
    return 0;
  }
  const o = opts;
  const rng = new SimRandom(/^\d+$/.test(o.seed) ? Number(o.seed) : o.seed);
  const dir = mkdtempSync(join(tmpdir(), 'waymark-reliability-'));
  const logFile = join(dir, 'kiosk.log');
  progress(`scenario ${o.scenario}, ${o.kills} kill(s), seed ${o.seed}; files in ${dir}`);

  const result: ReliabilityResult = {
    scenario: o.scenario, seed: o.seed, kills: 0, acknowledged: 0, lost: 0, duplicateSeqs: 0, skippedSeqs: 0,
    batches: 0, unanchoredBatches: 0, invalidAttestations: 0, cleanStop: false, durationS: 0,
  };
  let chain: ReliabilityChain | undefined;
  let kiosk: KioskProcess | undefined;
  let load: CheckinLoad | undefined;
  let checked = false;
  const onSignal = () => {
    kiosk?.child.kill('SIGKILL');
    void chain?.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    chain = await ReliabilityChain.start(dir);
    const { configFile, env, url, address } = await provisionKiosk(dir, chain);
    progress(`chain at ${chain.dev.rpcUrl}, registry ${chain.registry}, venue ${chain.venueId}; kiosk ${address} at ${url}`);

    let run = 0;
    let lastStartMs = 3_000;
    let firstReady!: () => void;
    const firstUp = new Promise<void>((r) => (firstReady = r));
    const spawnKiosk = () => (kiosk = new KioskProcess(configFile, logFile, env, ++run));
    const startKiosk = async (): Promise<KioskProcess> => {
      const k = spawnKiosk();
      const began = performance.now();
      await k.ready(url, 90_000);
      lastStartMs = performance.now() - began;
      firstReady();
      return k;
    };
    const c = chain;
    const disruption = o.scenario === 'kill' ? Promise.resolve() : firstUp.then(() => disturbChain(o, c, address, rng, result));
    disruption.catch(() => {}); // awaited below

    load = new CheckinLoad(url, o.rate, o.concurrency);
    load.start();
    for (let k = 1; k <= o.kills; k++) {
      // one kill in five lands during start-up (store, migrations, anchoring pre-flight)
      if (rng.chance(0.2)) {
        const starting = spawnKiosk();
        await sleep(rng.uniform(200, Math.max(lastStartMs, 1_000)));
        await starting.kill();
        progress(`kill ${k}/${o.kills}: SIGKILL during start-up (run ${run}); ${load.acknowledged.size} acknowledged`);
      } else {
        const up = await startKiosk();
        const upMs = rng.uniform(300, o.upS * 1000);
        await sleep(upMs);
        await up.kill();
        progress(`kill ${k}/${o.kills}: SIGKILL after ${(upMs / 1000).toFixed(1)} s up (run ${run}); ${load.acknowledged.size} acknowledged`);
      }
      result.kills = k;
    }
    const last = await startKiosk();
    progress(`last run (${run}) up; the load goes on until the chain's trouble is over`);
    await disruption;
    await sleep(2_000);
    await load.stop();
    result.acknowledged = load.acknowledged.size;
    result.invalidAttestations = load.invalid;
    progress(`load stopped: ${load.acknowledged.size} acknowledged; refused or failed: ${JSON.stringify(Object.fromEntries(load.refusals))}`);

    const deadline = Date.now() + o.drainTimeoutS * 1000;
    const lost = await awaitAnchored(url, chain, load.acknowledged, deadline);
    result.lost = lost.size;
    checked = true;
    for (const [id, why] of [...lost].slice(0, 10)) progress(`lost ${id}: ${why}`);
    if (lost.size > 0) progress(`kiosk account: ${await chain.accountState(address)}`);
    await auditSeqs(url, chain, address, deadline, result);

    result.cleanStop = await last.stop();
    progress(`last run stopped ${result.cleanStop ? 'cleanly' : 'NOT cleanly'}; the kiosk's repairs: ${repairsIn(logFile)}`);
  } catch (err) {
    result.error = (err as Error).message;
    if (load) {
      await load.stop();
      result.acknowledged = load.acknowledged.size;
      if (!checked) result.lost = load.acknowledged.size; // none could be checked
    }
    progress(`failed: ${(err as Error).stack ?? err}`);
  } finally {
    await kiosk?.kill();
    await chain?.stop().catch(() => {});
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  result.durationS = Math.round((performance.now() - t0) / 100) / 10;
  const ok = !result.error && result.lost === 0 && result.duplicateSeqs === 0 && result.skippedSeqs === 0;
  if (!o.json) {
    process.stdout.write(`${ok ? 'PASS' : 'FAIL'}: ${result.acknowledged} acknowledged check-ins over ${result.kills} kill(s) (${o.scenario}); `
      + `${result.lost} lost, ${result.duplicateSeqs} duplicate and ${result.skippedSeqs} skipped seq(s) among ${result.batches} batches on chain\n`);
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  if (ok && !o.keep) rmSync(dir, { recursive: true, force: true });
  else progress(`kept ${dir} (kiosk.log, config.json, the kiosk's data dir)`);
  return ok ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
