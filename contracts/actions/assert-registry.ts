/**
 * Checks that the registry address holds a contract on the client's chain, so a wrong
 * `chain.registry` fails as WAYMARK_ERR_CHAIN_NO_CONTRACT (address and chain id named)
 * instead of a read that "could not decode result data" or a commit sent to an empty account.
 */
import { WaymarkError } from '../../core/errors.js';
import type { RegistryClient } from '../client.js';
import { noContractError, toChainError } from '../chain-errors.js';

export interface AssertRegistryParameters {
  /** The chain id for the message; read from the node when absent. */
  chainId?: bigint | number;
}

export type AssertRegistryReturnType = void;

export type AssertRegistryErrorType = WaymarkError;

export async function assertRegistry(client: RegistryClient, params: AssertRegistryParameters = {}): Promise<AssertRegistryReturnType> {
  const provider = client.runner.provider;
  if (!provider) throw new WaymarkError('WAYMARK_ERR_USAGE', 'assertRegistry needs a runner connected to a provider');
  let code: string;
  let chainId: bigint | number | undefined = params.chainId;
  try {
    code = await provider.getCode(client.registry);
    if (code === '0x' && chainId === undefined) chainId = (await provider.getNetwork()).chainId;
  } catch (err) {
    throw toChainError(err, 'getCode');
  }
  if (code === '0x') throw noContractError(client.registry, chainId!, { action: 'getCode' });
}
