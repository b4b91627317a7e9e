/**
 * Reads registry events over a long block range in chunks, as public RPC endpoints limit
 * eth_getLogs (by block span or result count): a refused chunk is halved and retried, an
 * unreachable node fails at once. No indexer: this serves small CLI listings.
 */
import type { Log, Provider } from 'ethers';
import { WaymarkError } from '../core/errors.js';
import { toChainError } from '../contracts/chain-errors.js';
import type { RegistryClient } from '../contracts/client.js';

/** Blocks per eth_getLogs call to start with (many providers cap a call at 10,000). */
export const DEFAULT_CHUNK_BLOCKS = 10_000;

export interface LogScanProgress {
  /** The chunk just read, inclusive. */
  from: number;
  to: number;
  /** The whole range, inclusive. */
  fromBlock: number;
  toBlock: number;
  /** Fraction of the range read, 0..1. */
  done: number;
}

export interface LogScanOptions {
  fromBlock?: number;
  /** Default: the latest block. */
  toBlock?: number;
  chunkBlocks?: number;
  onProgress?: (p: LogScanProgress) => void;
  signal?: AbortSignal;
}

export interface LogScan {
  logs: Log[];
  fromBlock: number;
  toBlock: number;
}

/** The provider behind a registry client (its runner, or the runner's provider). */
export function providerOf(client: RegistryClient): Provider {
  const runner = client.runner as { provider?: Provider | null; getLogs?: unknown };
  if (typeof runner.getLogs === 'function') return runner as unknown as Provider;
  if (runner.provider) return runner.provider;
  throw new WaymarkError('WAYMARK_ERR_USAGE', 'reading events needs a registry client connected to a provider');
}

/** Every log of the registry matching `topics` in the range, oldest first. */
export async function scanRegistryLogs(client: RegistryClient, topics: (string | string[] | null)[], opts: LogScanOptions = {}): Promise<LogScan> {
  const provider = providerOf(client);
  let toBlock = opts.toBlock;
  if (toBlock === undefined) {
    try {
      toBlock = await provider.getBlockNumber();
    } catch (err) {
      throw toChainError(err, 'getBlockNumber');
    }
  }
  const fromBlock = opts.fromBlock ?? 0;
  const logs: Log[] = [];
  let chunk = Math.max(1, opts.chunkBlocks ?? DEFAULT_CHUNK_BLOCKS);
  const span = toBlock - fromBlock + 1;
  for (let from = fromBlock; from <= toBlock;) {
    opts.signal?.throwIfAborted();
    const to = Math.min(toBlock, from + chunk - 1);
    let got: Log[];
    try {
      got = await provider.getLogs({ address: client.registry, topics, fromBlock: from, toBlock: to });
    } catch (err) {
      const mapped = toChainError(err, `getLogs ${from}..${to}`);
      // a range or result-size limit: read smaller chunks; a dead node or one block refused: give up
      if (mapped.code === 'WAYMARK_ERR_CHAIN_UNAVAILABLE' || to === from) throw mapped;
      chunk = Math.max(1, Math.floor((to - from + 1) / 2));
      continue;
    }
    logs.push(...got);
    opts.onProgress?.({ from, to, fromBlock, toBlock, done: span > 0 ? (to - fromBlock + 1) / span : 1 });
    from = to + 1;
  }
  return { logs, fromBlock, toBlock };
}
