/**
 * How a provisioning command reaches the chain: the RPC URL and registry from flags, else
 * the kiosk config, else the environment; a provider that fails fast with
 * WAYMARK_ERR_CHAIN_UNAVAILABLE, and key-file signers on it.
 */
import { isAddress, getAddress, type BaseWallet, type JsonRpcProvider } from 'ethers';
import { WaymarkError } from '../core/errors.js';
import { ENV } from '../core/paths.js';
import type { KioskConfig } from '../core/config.js';
import { connectProvider, registryClient, type RegistryClient } from '../contracts/client.js';
import { toChainError } from '../contracts/chain-errors.js';
import { readKeyFile, type PassphraseSource } from './keys.js';

export interface ChainTarget {
  rpcUrl: string;
  registry: string;
  /** Expected chain id (from the config), checked on connect. */
  chainId?: number;
}

export interface ChainTargetInput {
  rpc?: string;
  registry?: string;
  config?: KioskConfig;
  env: NodeJS.ProcessEnv;
}

/** Flags win over the config, the config over $WAYMARK_RPC_URL. */
export function resolveChainTarget(input: ChainTargetInput): ChainTarget {
  const rpcUrl = input.rpc ?? input.config?.chain.rpcUrl ?? input.env[ENV.RPC_URL];
  if (!rpcUrl) throw new WaymarkError('WAYMARK_ERR_USAGE', `no chain: pass --rpc URL, a --config with chain.rpcUrl, or set ${ENV.RPC_URL}`);
  try {
    const u = new URL(rpcUrl);
    if (!/^(https?|wss?):$/.test(u.protocol)) throw new Error('scheme');
  } catch {
    throw new WaymarkError('WAYMARK_ERR_USAGE', `--rpc must be an http(s) or ws(s) URL, got ${JSON.stringify(rpcUrl)}`, { details: { field: 'rpc' } });
  }
  const registry = input.registry ?? input.config?.chain.registry;
  if (!registry) throw new WaymarkError('WAYMARK_ERR_USAGE', 'no registry: pass --registry ADDRESS or a --config with chain.registry');
  if (!isAddress(registry)) throw new WaymarkError('WAYMARK_ERR_USAGE', `--registry must be a 20-byte 0x address, got ${JSON.stringify(registry)}`, { details: { field: 'registry' } });
  return { rpcUrl, registry: getAddress(registry), chainId: input.config?.chain.chainId };
}

export interface ChainSession {
  rpcUrl: string;
  provider: JsonRpcProvider;
  chainId: number;
  registry: string;
  reader: RegistryClient;
  /** A registry client signing with this wallet. */
  as(wallet: BaseWallet): RegistryClient;
  close(): void;
}

/** Connects and checks the node answers, is the expected chain and has the registry deployed. */
export async function openChain(target: ChainTarget): Promise<ChainSession> {
  const provider = connectProvider(target.rpcUrl, { pollingIntervalMs: 100 });
  try {
    let chainId: number;
    let code: string;
    try {
      chainId = Number((await provider.getNetwork()).chainId);
      code = await provider.getCode(target.registry);
    } catch (err) {
      throw toChainError(err, `connect ${target.rpcUrl}`);
    }
    if (target.chainId !== undefined && chainId !== target.chainId) {
      throw new WaymarkError('WAYMARK_ERR_CHAIN_UNAVAILABLE', `${target.rpcUrl} is chain ${chainId}, the config expects chain ${target.chainId}`);
    }
    if (code === '0x') throw new WaymarkError('WAYMARK_ERR_USAGE', `no contract at registry ${target.registry} on chain ${chainId}`, { details: { field: 'registry' } });
    return {
      rpcUrl: target.rpcUrl,
      provider,
      chainId,
      registry: target.registry,
      reader: registryClient(provider, target.registry),
      as: (wallet) => registryClient(wallet.connect(provider), target.registry),
      close: () => provider.destroy(),
    };
  } catch (err) {
    provider.destroy();
    throw err;
  }
}

/** An operator (or authority) key file, opened with its own passphrase source. */
export function readOperatorKey(path: string, values: { passphraseFile?: string }, env: NodeJS.ProcessEnv, label = 'operator keystore'): Promise<BaseWallet> {
  const source: PassphraseSource = { file: values.passphraseFile, env, envName: ENV.OPERATOR_KEY_PASSPHRASE, label, fileHint: '--operator-passphrase-file' };
  return readKeyFile(path, source);
}
