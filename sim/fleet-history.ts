/**
 * Bulk registry history for load-testing a fleet indexer: a HistoryFleet contract
 * (sim/contracts/HistoryFleet.sol, compiled here with solc-js) becomes the authority of a
 * region, registers N venues and authorizes one HistoryKiosk contract at each, then every
 * round all N kiosks commit their next batch, `intervalS` of block time apart, one block per
 * round (or per `roundsPerBlock` rounds).
 * The logs are the real registry's BatchCommitted events with real sequence numbers; only
 * the signing is skipped. Needs anvil (dev admin key, evm_mine with a timestamp).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Contract, ContractFactory, dataSlice, getAddress, id, type JsonRpcProvider } from 'ethers';
import { registryClient } from '../contracts/client.js';
import { registerRegion } from '../contracts/actions/register-region.js';
import { devWallet } from './dev-chain.js';

const require = createRequire(import.meta.url);
const SOURCE = fileURLToPath(new URL('./contracts/HistoryFleet.sol', import.meta.url));
const GEOHASH32 = '0123456789bcdefghjkmnpqrstuvwxyz';

/** The history fleet's region: its venues are the cells `u4prz????`. */
export const HISTORY_REGION = 'u4prz';
/** Venues registered per setup transaction. */
const VENUES_PER_TX = 40;
/** Kiosks per commitRound transaction; larger rounds take several transactions in the same block. */
const KIOSKS_PER_TX = 1000;
/** Upper bounds per call, gas: the first commit of a kiosk also flips its venue to Clean. */
const GAS_PER_COMMIT = 90_000n;
const GAS_PER_VENUE = 400_000n;

export function historyCell(i: number): string {
  let s = '';
  for (let n = i, k = 0; k < 4; k++, n = Math.floor(n / 32)) s = GEOHASH32[n % 32] + s;
  return HISTORY_REGION + s;
}

export interface FleetHistoryOptions {
  provider: JsonRpcProvider;
  registry: string;
  kiosks: number;
  rounds: number;
  /** Block time between rounds, s (default 600: a batch per kiosk every 10 minutes). */
  intervalS?: number;
  /**
   * Rounds mined into one block (default 1). anvil's cost per block grows with the state (a
   * million batch roots), so a long history is much faster with e.g. 6 (an hour of 10-minute
   * rounds per block); each batch still covers its own interval (fromTime..toTime).
   */
  roundsPerBlock?: number;
  /** Called after setup and every few rounds. */
  onProgress?: (p: { phase: 'setup' | 'rounds'; done: number; total: number }) => void;
}

export interface FleetHistoryResult {
  fleet: string;
  kiosks: string[];
  venues: number[];
  rounds: number;
  /** BatchCommitted events written: kiosks × rounds. */
  batches: number;
  firstBlock: number;
  lastBlock: number;
}

interface Compiled { abi: never[]; bytecode: string }

let compiled: { fleet: Compiled } | undefined;

/** Compiles HistoryFleet.sol once per process with the pinned solc-js. */
export function compileHistoryFleet(): { fleet: Compiled } {
  if (compiled) return compiled;
  const solc = require('solc') as { compile(input: string): string };
  const input = {
    language: 'Solidity',
    sources: { 'HistoryFleet.sol': { content: readFileSync(SOURCE, 'utf8') } },
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'cancun', outputSelection: { '*': { HistoryFleet: ['abi', 'evm.bytecode.object'] } } },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: never[]; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`HistoryFleet.sol: ${errors.map((e) => e.formattedMessage).join('\n')}`);
  const c = out.contracts['HistoryFleet.sol']!.HistoryFleet!;
  compiled = { fleet: { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` } };
  return compiled;
}

export async function generateFleetHistory(opts: FleetHistoryOptions): Promise<FleetHistoryResult> {
  const { provider, kiosks, rounds } = opts;
  if (!Number.isInteger(kiosks) || kiosks < 1 || kiosks > 32 ** 4) throw new RangeError(`kiosks must be 1..${32 ** 4}, got ${kiosks}`);
  if (!Number.isInteger(rounds) || rounds < 0) throw new RangeError(`rounds must be a non-negative integer, got ${rounds}`);
  const intervalS = opts.intervalS ?? 600;
  const perBlock = opts.roundsPerBlock ?? 1;
  if (!Number.isInteger(perBlock) || perBlock < 1) throw new RangeError(`roundsPerBlock must be a positive integer, got ${perBlock}`);
  const admin = devWallet('admin', provider);
  const { fleet: artifact } = compileHistoryFleet();
  const deployed = await new ContractFactory(artifact.abi, artifact.bytecode, admin).deploy(opts.registry);
  await deployed.waitForDeployment();
  const fleetAddress = await deployed.getAddress();
  const fleet = new Contract(fleetAddress, artifact.abi, admin);
  await registerRegion(registryClient(admin, opts.registry), { prefix: HISTORY_REGION, authority: fleetAddress });

  const start = Number(await fleet.getFunction('kioskCount')());
  const kioskAddresses: string[] = [];
  const venues: number[] = [];
  const authorized = id('KioskAuthorized(uint64,address,uint64)');
  for (let i = 0; i < kiosks; i += VENUES_PER_TX) {
    const cells = Array.from({ length: Math.min(VENUES_PER_TX, kiosks - i) }, (_, j) => historyCell(i + j));
    const tx = await fleet.getFunction('addVenues')(cells, { gasLimit: GAS_PER_VENUE * BigInt(cells.length) + 200_000n });
    const receipt = await tx.wait();
    if (receipt?.status !== 1) throw new Error(`HistoryFleet.addVenues reverted in ${tx.hash}`);
    // KioskAuthorized(venueId indexed, kiosk indexed, nextSeq), in the order the fleet keeps its kiosks
    for (const log of receipt.logs) {
      if (log.topics[0] !== authorized) continue;
      venues.push(Number(BigInt(log.topics[1]!)));
      kioskAddresses.push(getAddress(dataSlice(log.topics[2]!, 12)));
    }
    opts.onProgress?.({ phase: 'setup', done: i + cells.length, total: kiosks });
  }
  if (kioskAddresses.length !== kiosks) throw new Error(`HistoryFleet authorized ${kioskAddresses.length} kiosks, expected ${kiosks}`);

  const firstBlock = (await provider.getBlockNumber()) + 1;
  const txsPerRound = Math.ceil(kiosks / KIOSKS_PER_TX);
  const gasPerTx = GAS_PER_COMMIT * BigInt(Math.min(kiosks, KIOSKS_PER_TX)) + 200_000n;
  // keep a block's gas under half the block limit so the base fee falls
  const limit = BigInt((await provider.send('eth_getBlockByNumber', ['latest', false]) as { gasLimit: string }).gasLimit);
  const wanted = gasPerTx * BigInt(txsPerRound * perBlock) * 2n;
  if (limit < wanted) await provider.send('anvil_setBlockGasLimit', [`0x${wanted.toString(16)}`]);
  const automine = await provider.send('anvil_getAutomine', []) as boolean;
  await provider.send('evm_setAutomine', [false]);
  try {
    const { chainId } = await provider.getNetwork();
    const fees = await provider.getFeeData();
    const maxFeePerGas = (fees.maxFeePerGas ?? 10_000_000_000n) * 2n;
    let nonce = await provider.getTransactionCount(admin.address, 'pending');
    let time = Number((await provider.getBlock('latest'))!.timestamp);
    let lastHashes: string[] = [];
    const commitRound = fleet.interface;
    const progressEvery = Math.max(1, Math.floor(rounds / 20));
    for (let r = 0; r < rounds; r++) {
      time += intervalS;
      if (r % perBlock === 0) lastHashes = [];
      for (let from = start; from < start + kiosks; from += KIOSKS_PER_TX) {
        const to = Math.min(from + KIOSKS_PER_TX, start + kiosks);
        const data = commitRound.encodeFunctionData('commitRound', [r, time - intervalS, time - 1, from, to]);
        const raw = await admin.signTransaction({
          type: 2, chainId, nonce: nonce++, to: fleetAddress, data, gasLimit: gasPerTx, maxFeePerGas, maxPriorityFeePerGas: 1n,
        });
        lastHashes.push(await provider.send('eth_sendRawTransaction', [raw]) as string);
      }
      const blockFull = (r + 1) % perBlock === 0 || r === rounds - 1;
      // evm_mine returns once the block is mined: its rounds land in one block at `time`
      if (blockFull) await provider.send('evm_mine', [time]);
      if (blockFull && ((r + 1) % progressEvery < perBlock || r === rounds - 1)) {
        for (const h of lastHashes) {
          const receipt = await provider.send('eth_getTransactionReceipt', [h]) as { status: string } | null;
          if (receipt?.status !== '0x1') throw new Error(`HistoryFleet.commitRound ${r} did not succeed (${h}: ${receipt?.status ?? 'not mined'})`);
        }
        opts.onProgress?.({ phase: 'rounds', done: r + 1, total: rounds });
      }
    }
  } finally {
    await provider.send('evm_setAutomine', [automine]);
  }
  const lastBlock = await provider.getBlockNumber();
  return { fleet: fleetAddress, kiosks: kioskAddresses, venues, rounds, batches: kiosks * rounds, firstBlock, lastBlock };
}

/** Mines `blocks` empty blocks so the history is final for an indexer (Ponder: 30 on chain 31337). */
export async function mineFinality(provider: JsonRpcProvider, blocks = 32): Promise<void> {
  await provider.send('anvil_mine', [`0x${blocks.toString(16)}`]);
}
