/**
 * The real adapter of core's `Chain` port: a kiosk wallet on a JSON-RPC endpoint that
 * commits batches to the WaymarkRegistry (anvil in demo mode and tests).
 */
import { Wallet } from 'ethers';
import type { BatchCommit, Chain } from '../core/ports.js';
import { WaymarkError } from '../core/errors.js';
import { connectProvider, registryClient } from './client.js';
import { toChainError } from './chain-errors.js';
import { commitBatch, type CommitBatchReturnType } from './actions/commit-batch.js';

export interface RegistryChainOptions {
  rpcUrl: string;
  /** The WaymarkRegistry's address. */
  registry: string;
  /** The kiosk's chain key (0x-hex private key). */
  privateKey: string;
  chainId?: number;
}

export function createRegistryChain(opts: RegistryChainOptions): Chain & { readonly kiosk: string; commitBatch(batch: BatchCommit): Promise<CommitBatchReturnType> } {
  const provider = connectProvider(opts.rpcUrl, { chainId: opts.chainId });
  let wallet: Wallet;
  try {
    wallet = new Wallet(opts.privateKey, provider);
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_CONFIG_INVALID', 'chain private key is not a 32-byte hex key', { cause: err });
  }
  const client = registryClient(wallet, opts.registry);
  return {
    rpcUrl: opts.rpcUrl,
    kiosk: wallet.address,
    async chainId() {
      try {
        return (await provider.getNetwork()).chainId;
      } catch (err) {
        throw toChainError(err, 'chainId');
      }
    },
    async latestBlockTime() {
      try {
        return (await provider.getBlock('latest'))!.timestamp;
      } catch (err) {
        throw toChainError(err, 'latestBlockTime');
      }
    },
    commitBatch: (batch) => commitBatch(client, batch),
    async close() {
      provider.destroy();
    },
  };
}
