/**
 * The outbox's view of the chain: read the kiosk's seq and roots, sign a commit without
 * sending it (so it can be stored first), re-price a stuck one, broadcast raw transactions,
 * fill a nonce whose transaction is gone, and follow receipts. The real adapter is ethers v6
 * on a JSON-RPC node (anvil in demo and tests).
 */
import { FetchRequest, JsonRpcProvider, Network, Transaction, Wallet, keccak256, type Contract, type Signer } from 'ethers';
import { WaymarkError, isWaymarkError } from '../../core/errors.js';
import type { BatchCommit } from '../../core/ports.js';
import { registryClient, registryContract, type RegistryClient } from '../../contracts/client.js';
import { noContractError, toChainError } from '../../contracts/chain-errors.js';
import { assertRegistry } from '../../contracts/actions/assert-registry.js';
import { nextSeq } from '../../contracts/actions/next-seq.js';
import { batchRoot } from '../../contracts/actions/batch-root.js';
import { commitBatchArgs } from '../../contracts/actions/commit-batch.js';
import type { FeeQuote, Fees } from './fees.js';

export interface SignedCommit {
  txHash: string;
  raw: string;
  nonce: number;
}

export interface CommitReceipt {
  txHash: string;
  blockNumber: number;
  /** 1 success, 0 reverted. */
  status: number;
}

/**
 * What a broadcast came to: accepted, already known to the node, its nonce was used already,
 * or its fees are refused (below the base fee, or not enough above the transaction it replaces).
 */
export type BroadcastResult = 'accepted' | 'known' | 'nonce-used' | 'underpriced';

export interface OutboxChain {
  readonly rpcUrl: string;
  /** The kiosk's chain address (the signer). */
  readonly kiosk: string;
  readonly registry: string;
  blockNumber(): Promise<number>;
  nextSeq(): Promise<number>;
  /** The root committed under seq (the zero hash if none). */
  batchRoot(seq: number): Promise<string>;
  feeQuote(): Promise<FeeQuote>;
  /** The kiosk's transaction count at `latest` (mined) or `pending` (incl. the node's pool). */
  accountNonce(tag: 'latest' | 'pending'): Promise<number>;
  /**
   * Validates, estimates against the mined state (`latest`: a revert surfaces as its
   * WaymarkError) and signs; sends nothing.
   */
  signCommit(batch: BatchCommit, nonce: number, fees: Fees): Promise<SignedCommit>;
  /**
   * The same commit (same nonce, call and gas limit) signed again with new fees, to replace
   * a stuck one. No estimate: the node's pending state already holds the stuck commit, so a
   * fresh estimate of the same seq would revert with BatchAlreadyCommitted.
   */
  repriceCommit(raw: string, fees: Fees): Promise<SignedCommit>;
  broadcast(raw: string): Promise<BroadcastResult>;
  /**
   * Signs and broadcasts a zero-value transfer to the kiosk itself at `nonce`: it holds a nonce
   * whose transaction is gone, so the commits queued behind it can be mined as they are.
   */
  fillNonce(nonce: number, fees: Fees): Promise<{ txHash: string; result: BroadcastResult }>;
  receipt(txHash: string): Promise<CommitReceipt | null>;
  /** The node knows the transaction (pending or mined). */
  knows(txHash: string): Promise<boolean>;
  /** The BatchCommitted event of this kiosk's seq, for a commit that landed by a transaction we lost track of. */
  findCommit(venueId: number, seq: number): Promise<CommitReceipt | null>;
  close(): Promise<void>;
}

export interface OutboxChainOptions {
  rpcUrl: string;
  registry: string;
  /** The kiosk key: a 0x private key or an ethers Wallet. */
  key: string | Wallet;
  /** Refuse to sign for any other chain. */
  chainId?: number;
  pollingIntervalMs?: number;
  /** How far back findCommit searches, blocks. */
  logSearchBlocks?: number;
  /** Per JSON-RPC request, ms (default 20 s). */
  requestTimeoutMs?: number;
}

function messageOf(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string; error?: { message?: string }; info?: { error?: { message?: string } } };
  return [e?.shortMessage, e?.message, e?.error?.message, e?.info?.error?.message].filter(Boolean).join(' | ');
}

/** eth_chainId over plain fetch, so a dead node fails fast instead of ethers retrying its network detection. */
export async function probeChainId(rpcUrl: string, timeoutMs: number): Promise<bigint> {
  let body: { result?: string; error?: { message?: string } };
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = (await res.json()) as typeof body;
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_CHAIN_UNAVAILABLE', `${rpcUrl}: ${(err as Error).message}`, { cause: err, details: { action: 'chainId' } });
  }
  if (typeof body?.result !== 'string') throw new WaymarkError('WAYMARK_ERR_CHAIN_UNAVAILABLE', `${rpcUrl} did not answer eth_chainId (${body?.error?.message ?? 'no result'})`);
  return BigInt(body.result);
}

/** eth_sendRawTransaction, with the node's refusals that the sender acts on as results. */
async function broadcast(provider: JsonRpcProvider, raw: string): Promise<BroadcastResult> {
  try {
    await provider.send('eth_sendRawTransaction', [raw]);
    return 'accepted';
  } catch (err) {
    const msg = messageOf(err).toLowerCase();
    if (/already known|already imported|known transaction/.test(msg)) return 'known';
    if (/nonce too low|nonce has already been used|nonce_expired|invalid nonce/.test(msg)) return 'nonce-used';
    if (/underpriced|fee too low|less than block base fee|fee ?cap too low|below (the )?current base fee/.test(msg)) return 'underpriced';
    throw toChainError(err, 'broadcast');
  }
}

export function createOutboxChain(opts: OutboxChainOptions): OutboxChain {
  const timeoutMs = opts.requestTimeoutMs ?? 20_000;
  let wallet: Wallet;
  try {
    wallet = typeof opts.key === 'string' ? new Wallet(opts.key) : new Wallet(opts.key.privateKey);
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_CONFIG_INVALID', 'the kiosk key is not a 32-byte hex private key', { cause: err });
  }
  let conn: { provider: JsonRpcProvider; wallet: Wallet; reader: RegistryClient; contract: Contract; chainId: bigint } | undefined;

  const wrap = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toChainError(err, action);
    }
  };

  /** Connects on first use (and again after a failed first contact): the chain id, then the registry's code. */
  async function connect() {
    if (conn) return conn;
    const id = await probeChainId(opts.rpcUrl, timeoutMs);
    if (opts.chainId !== undefined && id !== BigInt(opts.chainId)) {
      throw new WaymarkError('WAYMARK_ERR_CONFIG_INVALID', `chain.chainId is ${opts.chainId} but the node at ${opts.rpcUrl} is chain ${id}`);
    }
    const req = new FetchRequest(opts.rpcUrl);
    req.timeout = timeoutMs;
    const provider = new JsonRpcProvider(req, Network.from(id), { staticNetwork: true, cacheTimeout: -1 });
    provider.pollingInterval = opts.pollingIntervalMs ?? 250;
    const reader = registryClient(provider, opts.registry);
    try {
      await assertRegistry(reader, { chainId: id });
    } catch (err) {
      provider.destroy();
      throw err;
    }
    conn = { provider, wallet: wallet.connect(provider), reader, contract: registryContract(reader), chainId: id };
    return conn;
  }

  /** A registry read; an empty answer (the code gone since connecting: a reset chain) names the address and chain. */
  async function read<T>(action: string, fn: (c: NonNullable<typeof conn>) => Promise<T>): Promise<T> {
    const c = await connect();
    try {
      return await fn(c);
    } catch (err) {
      if (isWaymarkError(err, 'WAYMARK_ERR_CHAIN_NO_CONTRACT')) throw noContractError(opts.registry, c.chainId, { action, cause: err });
      throw err;
    }
  }

  async function sign(c: NonNullable<typeof conn>, tx: { nonce: number; data: string; gasLimit: bigint; to?: string }, fees: Fees): Promise<SignedCommit> {
    const raw = await (c.wallet as Signer).signTransaction({
      type: 2, chainId: c.chainId, nonce: tx.nonce, to: tx.to ?? opts.registry, data: tx.data,
      gasLimit: tx.gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    return { txHash: keccak256(raw), raw, nonce: tx.nonce };
  }

  return {
    rpcUrl: opts.rpcUrl,
    kiosk: wallet.address,
    registry: opts.registry,
    blockNumber: async () => { const { provider } = await connect(); return wrap('blockNumber', () => provider.getBlockNumber()); },
    nextSeq: () => read('nextSeq', async (c) => Number(await nextSeq(c.reader, { kiosk: wallet.address }))),
    batchRoot: (seq) => read('batchRoot', async (c) => (await batchRoot(c.reader, { kiosk: wallet.address, seq })).toLowerCase()),
    async feeQuote() {
      const { provider } = await connect();
      return wrap('feeQuote', async () => {
        const block = await provider.getBlock('latest');
        let tip: bigint;
        try {
          tip = BigInt(await provider.send('eth_maxPriorityFeePerGas', []));
        } catch {
          tip = 1_000_000_000n;
        }
        return { baseFeePerGas: block?.baseFeePerGas ?? 0n, priorityFeePerGas: tip };
      });
    },
    accountNonce: async (tag) => { const { provider } = await connect(); return wrap('accountNonce', () => provider.getTransactionCount(wallet.address, tag)); },
    async signCommit(batch, nonce, fees) {
      const args = commitBatchArgs(batch);
      const c = await connect();
      const data = c.contract.interface.encodeFunctionData('commitBatch', args);
      // 'latest', not the node's default: some nodes (anvil) estimate on the pending state
      const gas = BigInt(await wrap('commitBatch', () => c.provider.send('eth_estimateGas', [{ from: wallet.address, to: opts.registry, data }, 'latest'])));
      return sign(c, { nonce, data, gasLimit: gas + gas / 4n }, fees);
    },
    async repriceCommit(raw, fees) {
      const c = await connect();
      const stuck = Transaction.from(raw);
      if (stuck.from?.toLowerCase() !== wallet.address.toLowerCase() || stuck.to?.toLowerCase() !== opts.registry.toLowerCase()) {
        throw new WaymarkError('WAYMARK_ERR_INTERNAL', `stored commit ${keccak256(raw)} is not from ${wallet.address} to ${opts.registry}`);
      }
      return sign(c, { nonce: stuck.nonce, data: stuck.data, gasLimit: stuck.gasLimit }, fees);
    },
    broadcast: async (raw) => broadcast((await connect()).provider, raw),
    async fillNonce(nonce, fees) {
      const c = await connect();
      const filler = await sign(c, { nonce, to: wallet.address, data: '0x', gasLimit: 21_000n }, fees);
      return { txHash: filler.txHash, result: await broadcast(c.provider, filler.raw) };
    },
    async receipt(txHash) {
      const { provider } = await connect();
      return wrap('receipt', async () => {
        const r = await provider.getTransactionReceipt(txHash);
        return r ? { txHash: r.hash, blockNumber: r.blockNumber, status: r.status ?? 0 } : null;
      });
    },
    async knows(txHash) {
      const { provider } = await connect();
      return wrap('knows', async () => (await provider.getTransaction(txHash)) !== null);
    },
    async findCommit(venueId, seq) {
      const { provider, contract } = await connect();
      return wrap('findCommit', async () => {
        const latest = await provider.getBlockNumber();
        const from = Math.max(0, latest - (opts.logSearchBlocks ?? 50_000));
        const events = await contract.queryFilter(contract.filters.BatchCommitted!(venueId, wallet.address), from, latest);
        for (const ev of events) {
          const args = (ev as unknown as { args?: { seq?: bigint } }).args;
          if (args?.seq === BigInt(seq)) {
            const r = await provider.getTransactionReceipt(ev.transactionHash);
            return { txHash: ev.transactionHash, blockNumber: ev.blockNumber, status: r?.status ?? 1 };
          }
        }
        return null;
      });
    },
    async close() {
      conn?.provider.destroy();
      conn = undefined;
    },
  };
}
