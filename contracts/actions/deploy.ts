/**
 * Deploys the Waymark contracts: the WaymarkRegistry (admin = the signer) and, for the gas
 * benchmark only, the S0 baseline's root (state) contract.
 */
import { ContractFactory, type Signer } from 'ethers';
import { getArtifact } from '../build.js';
import { toChainError } from '../chain-errors.js';
import { assertUint } from '../validate.js';

export interface DeployParameters {
  /** Seconds after an exposure window ends until the venue is Clean on its own (default 14 days). */
  exposureExpirySeconds?: number | bigint;
  /** Also deploy the S0 baseline's state contract (bench only). */
  baseline?: { countyPrefixLength: number; cityPrefixLength: number };
}

export interface DeployReturnType {
  registry: string;
  /** The S0 baseline's root contract, when `baseline` was asked for. */
  s0State?: string;
  admin: string;
  exposureExpirySeconds: bigint;
  txHashes: string[];
}

export const DEFAULT_EXPOSURE_EXPIRY_SECONDS = 14n * 24n * 3600n;

export async function deploy(signer: Signer, params: DeployParameters = {}): Promise<DeployReturnType> {
  const expiry = params.exposureExpirySeconds === undefined
    ? DEFAULT_EXPOSURE_EXPIRY_SECONDS
    : assertUint(params.exposureExpirySeconds, 'exposureExpirySeconds', 2n ** 32n);
  try {
    const txHashes: string[] = [];
    const registryArtifact = getArtifact('WaymarkRegistry');
    const registry = await new ContractFactory(registryArtifact.abi as never, registryArtifact.bytecode, signer).deploy(expiry);
    await registry.waitForDeployment();
    txHashes.push(registry.deploymentTransaction()!.hash);
    const out: DeployReturnType = {
      registry: await registry.getAddress(),
      admin: await signer.getAddress(),
      exposureExpirySeconds: expiry === 0n ? DEFAULT_EXPOSURE_EXPIRY_SECONDS : expiry,
      txHashes,
    };
    if (params.baseline) {
      const s0 = getArtifact('S0State');
      const state = await new ContractFactory(s0.abi as never, s0.bytecode, signer)
        .deploy(params.baseline.countyPrefixLength, params.baseline.cityPrefixLength);
      await state.waitForDeployment();
      txHashes.push(state.deploymentTransaction()!.hash);
      out.s0State = await state.getAddress();
    }
    return out;
  } catch (err) {
    throw toChainError(err, 'deploy');
  }
}
