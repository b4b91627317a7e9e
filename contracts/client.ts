/**
 * What every registry action takes first: an ethers v6 runner (a Signer for writes, a
 * Provider or Signer for reads) and the WaymarkRegistry address; plus the shared
 * send-and-wait step that turns a mined transaction into a ChainReceipt.
 */
import { Contract, JsonRpcProvider, type ContractRunner, type ContractTransactionResponse, type Log, type Signer } from 'ethers';
import { WaymarkError } from '../core/errors.js';
import type { ChainReceipt } from '../core/ports.js';
import { getArtifact } from './build.js';
import { toChainError } from './chain-errors.js';

export interface RegistryClient {
  /** A Signer for the write actions; any ContractRunner (Provider or Signer) for reads. */
  runner: ContractRunner;
  /** The WaymarkRegistry's address. */
  registry: string;
}

/**
 * A JSON-RPC provider suited to sending transactions back to back: no response cache (the
 * default 250 ms cache can hand a wallet a stale pending nonce) and quick receipt polling.
 */
export function connectProvider(rpcUrl: string, opts: { chainId?: number; pollingIntervalMs?: number } = {}): JsonRpcProvider {
  const provider = new JsonRpcProvider(rpcUrl, opts.chainId, { cacheTimeout: -1, staticNetwork: opts.chainId !== undefined });
  provider.pollingInterval = opts.pollingIntervalMs ?? 250;
  return provider;
}

export function registryClient(runner: ContractRunner, registry: string): RegistryClient {
  return { runner, registry };
}

/** A mined transaction: hash, block and gas. */
export interface TxReceipt extends ChainReceipt {
  gasUsed: bigint;
}

export function registryContract(client: RegistryClient): Contract {
  return new Contract(client.registry, getArtifact('WaymarkRegistry').abi as never, client.runner);
}

export function requireSigner(client: RegistryClient, action: string): Signer {
  const runner = client.runner as Partial<Signer> | null;
  if (!runner || typeof runner.sendTransaction !== 'function' || typeof runner.getAddress !== 'function') {
    throw new WaymarkError('WAYMARK_ERR_USAGE', `${action} needs a Signer (a wallet), not a read-only provider`);
  }
  return runner as Signer;
}

/**
 * Sends `method(...args)` from the client's signer and waits for it to be mined. The
 * pre-flight gas estimate surfaces reverts with their custom error, mapped by toChainError.
 */
export async function sendRegistryTx(
  client: RegistryClient,
  action: string,
  method: string,
  args: unknown[],
): Promise<{ receipt: TxReceipt; logs: readonly Log[]; contract: Contract }> {
  requireSigner(client, action);
  const contract = registryContract(client);
  try {
    const tx = (await contract.getFunction(method).send(...args)) as ContractTransactionResponse;
    const mined = await tx.wait();
    if (!mined) throw new WaymarkError('WAYMARK_ERR_CHAIN_REVERTED', `${action}: transaction ${tx.hash} was dropped`);
    return {
      receipt: { txHash: mined.hash, blockNumber: mined.blockNumber, gasUsed: mined.gasUsed },
      logs: mined.logs,
      contract,
    };
  } catch (err) {
    // A NonceManager counts a nonce even when the pre-flight estimate reverts; resync it.
    const manager = client.runner as { reset?: () => void };
    if (typeof manager.reset === 'function') manager.reset();
    throw toChainError(err, action);
  }
}

/** Calls a view function and maps errors the same way. */
export async function readRegistry<T>(client: RegistryClient, action: string, method: string, args: unknown[]): Promise<T> {
  try {
    return (await registryContract(client).getFunction(method).staticCall(...args)) as T;
  } catch (err) {
    throw toChainError(err, action);
  }
}

/** The first log of `eventName` emitted by the registry in a receipt, decoded. */
export function findEvent(contract: Contract, logs: readonly Log[], eventName: string): Record<string, unknown> | undefined {
  const address = String(contract.target).toLowerCase();
  for (const log of logs) {
    if (log.address.toLowerCase() !== address) continue;
    const parsed = contract.interface.parseLog(log);
    if (parsed?.name === eventName) return parsed.args.toObject();
  }
  return undefined;
}
