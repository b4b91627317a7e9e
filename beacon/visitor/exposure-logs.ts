/**
 * Downloads a registry's `ExposureReported` events over plain JSON-RPC (`eth_getLogs`), for
 * the browser wallet and `waymark visitor exposures` alike. A request names the registry and
 * the event and nothing else (no venue topic, no kiosk), so the node serving it learns
 * nothing about where the visitor was: every visitor of the region asks the same question.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { WaymarkError } from '../../core/errors.js';
import { toHex } from '../bytes.js';
import type { FetchLike } from './client.js';
import type { ExposureReport } from './exposure.js';

export const EXPOSURE_REPORTED_SIGNATURE = 'ExposureReported(uint64,address,uint64,uint64,uint64)';
/** topic0 of the event: keccak256 of its signature. */
export const EXPOSURE_REPORTED_TOPIC = '0x' + toHex(keccak_256(new TextEncoder().encode(EXPOSURE_REPORTED_SIGNATURE)));

/** How far back a wallet looks: the retention period of check-ins, 14 days. */
export const EXPOSURE_LOOKBACK_S = 14 * 86_400;

/** One log as `eth_getLogs` returns it. */
export interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  transactionHash: string;
  removed?: boolean;
}

export interface ExposureDownload {
  chainId: number;
  registry: string;
  /** The blocks covered, inclusive. fromBlock > toBlock when there was nothing to read. */
  fromBlock: number;
  toBlock: number;
  reports: ExposureReport[];
  /** JSON-RPC calls made. */
  requests: number;
}

export interface FetchExposureReportsParameters {
  rpcUrl: string;
  /** The WaymarkRegistry address. */
  registry: string;
  /** Read blocks from here (a wallet's last scan); default: the first block at or after `since`. */
  fromBlock?: number;
  /** Unix seconds; default now - 14 days. Ignored when fromBlock is given. */
  since?: number;
  /** Blocks per eth_getLogs call (nodes cap the range); halved when the node refuses. Default 10,000. */
  chunkBlocks?: number;
  fetch?: FetchLike;
  /** Unix seconds "now" (tests). */
  now?: number;
}

const word = (data: string, i: number): bigint => BigInt('0x' + (data.slice(2 + 64 * i, 2 + 64 * (i + 1)) || '0'));

/** Decodes one `ExposureReported` log; throws WAYMARK_ERR_CHAIN_UNAVAILABLE on a malformed one. */
export function decodeExposureLog(log: RpcLog): ExposureReport {
  if (!log || !Array.isArray(log.topics) || log.topics.length !== 3 || log.topics[0]!.toLowerCase() !== EXPOSURE_REPORTED_TOPIC
    || typeof log.data !== 'string' || !/^0x[0-9a-fA-F]{192}$/.test(log.data)) {
    throw new WaymarkError('WAYMARK_ERR_CHAIN_UNAVAILABLE', 'the node returned a log that is not an ExposureReported event');
  }
  return {
    venueId: Number(BigInt(log.topics[1]!)),
    authority: '0x' + log.topics[2]!.slice(-40),
    from: Number(word(log.data, 0)),
    to: Number(word(log.data, 1)),
    expiresAt: Number(word(log.data, 2)),
    txHash: log.transactionHash,
    blockNumber: Number(BigInt(log.blockNumber)),
  };
}

/** A minimal JSON-RPC client on fetch; every failure is WAYMARK_ERR_CHAIN_UNAVAILABLE. */
export function jsonRpc(rpcUrl: string, fetchFn: FetchLike = globalThis.fetch as FetchLike) {
  let id = 0;
  const client = {
    requests: 0,
    async call<T>(method: string, params: unknown[]): Promise<T> {
      client.requests++;
      let body: { result?: T; error?: { code?: number; message?: string } };
      try {
        const res = await fetchFn(rpcUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
        });
        body = (await res.json()) as typeof body;
      } catch (err) {
        throw new WaymarkError('WAYMARK_ERR_CHAIN_UNAVAILABLE', `${rpcUrl}: ${(err as Error).message}`, { cause: err });
      }
      if (body?.error || !body || !('result' in body)) {
        throw new WaymarkError('WAYMARK_ERR_CHAIN_UNAVAILABLE', `${method}: ${body?.error?.message ?? 'no result'}`, { details: { rpcCode: body?.error?.code } });
      }
      return body.result as T;
    },
  };
  return client;
}

const hex = (n: number): string => '0x' + n.toString(16);

/** The first block whose timestamp is at or after `time` (latest + 1 when none is), by bisection. */
async function firstBlockAtOrAfter(rpc: ReturnType<typeof jsonRpc>, time: number, latest: number): Promise<number> {
  const stamp = async (n: number): Promise<number> => {
    const block = await rpc.call<{ timestamp: string } | null>('eth_getBlockByNumber', [hex(n), false]);
    if (!block) throw new WaymarkError('WAYMARK_ERR_CHAIN_UNAVAILABLE', `block ${n} is missing`);
    return Number(BigInt(block.timestamp));
  };
  if ((await stamp(latest)) < time) return latest + 1;
  let lo = 0;
  let hi = latest;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await stamp(mid)) >= time) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Every `ExposureReported` event of `registry` from `fromBlock` (or the last 14 days) to the
 * latest block. The filter is `{ address: registry, topics: [EXPOSURE_REPORTED_TOPIC] }`
 * and block numbers: nothing that depends on the visitor's check-ins.
 */
export async function fetchExposureReports(params: FetchExposureReportsParameters): Promise<ExposureDownload> {
  if (!/^0x[0-9a-fA-F]{40}$/.test(params.registry)) throw new WaymarkError('WAYMARK_ERR_USAGE', `registry must be an address, got ${params.registry}`);
  const rpc = jsonRpc(params.rpcUrl, params.fetch);
  const chainId = Number(BigInt(await rpc.call<string>('eth_chainId', [])));
  const latest = Number(BigInt(await rpc.call<string>('eth_blockNumber', [])));
  const now = params.now ?? Math.floor(Date.now() / 1000);
  const fromBlock = params.fromBlock ?? await firstBlockAtOrAfter(rpc, params.since ?? now - EXPOSURE_LOOKBACK_S, latest);
  const reports: ExposureReport[] = [];
  let chunk = Math.max(1, params.chunkBlocks ?? 10_000);
  for (let start = fromBlock; start <= latest;) {
    const end = Math.min(latest, start + chunk - 1);
    let logs: RpcLog[];
    try {
      logs = await rpc.call<RpcLog[]>('eth_getLogs', [{ address: params.registry, topics: [EXPOSURE_REPORTED_TOPIC], fromBlock: hex(start), toBlock: hex(end) }]);
    } catch (err) {
      // nodes cap the range of one eth_getLogs; ask for less until one block is refused
      if (chunk === 1) throw err;
      chunk = Math.max(1, Math.floor(chunk / 2));
      continue;
    }
    for (const log of logs) if (!log.removed) reports.push(decodeExposureLog(log));
    start = end + 1;
  }
  return { chainId, registry: params.registry, fromBlock, toBlock: latest, reports, requests: rpc.requests };
}
