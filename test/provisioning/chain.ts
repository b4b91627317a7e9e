/**
 * Shared set-up for the provisioning suites: one anvil per test file with the registry
 * deployed, key files for the operator and a region authority in a temp dir, and the
 * operator made region authority of `u4pr` so it can register venues there itself.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet, type JsonRpcProvider } from 'ethers';
import { startAnvil, type AnvilNode } from '../../contracts/anvil.js';
import { connectProvider, registryClient, type RegistryClient } from '../../contracts/client.js';
import { deploy } from '../../contracts/actions/deploy.js';
import { registerRegion } from '../../contracts/actions/register-region.js';
import { cli } from '../helpers/cli.js';

/** ngeohash.decode('u4pruydqq'): a venue cell inside the operator's own region `u4pr`. */
export const IN_REGION = { lat: '57.64911', lon: '10.40744', geohash: 'u4pruydqq' };
/** London: region `gcpv` belongs to a separate authority. */
export const LONDON = { lat: '51.5074', lon: '-0.1278' };

export interface ProvisioningChain {
  node: AnvilNode;
  provider: JsonRpcProvider;
  registry: string;
  dir: string;
  operatorKeyFile: string;
  authorityKeyFile: string;
  operator: Wallet;
  authority: Wallet;
  reader: RegistryClient;
  /** `--rpc URL --registry ADDRESS` */
  chainFlags: string[];
  stop(): Promise<void>;
}

export async function startProvisioningChain(dir: string): Promise<ProvisioningChain> {
  const node = await startAnvil();
  const provider = connectProvider(node.rpcUrl, { chainId: 31337, pollingIntervalMs: 20 });
  const admin = new Wallet(node.accounts[0], provider);
  const authority = new Wallet(node.accounts[1], provider);
  const operator = new Wallet(node.accounts[2], provider);
  const { registry } = await deploy(admin);
  const asAdmin = registryClient(admin, registry);
  await registerRegion(asAdmin, { prefix: 'u4pr', authority: operator.address });
  await registerRegion(asAdmin, { prefix: 'gcpv', authority: authority.address });
  const operatorKeyFile = join(dir, 'operator.hex');
  const authorityKeyFile = join(dir, 'authority.hex');
  writeFileSync(operatorKeyFile, operator.privateKey + '\n', { mode: 0o600 });
  writeFileSync(authorityKeyFile, authority.privateKey + '\n', { mode: 0o600 });
  return {
    node,
    provider,
    registry,
    dir,
    operatorKeyFile,
    authorityKeyFile,
    operator,
    authority,
    reader: registryClient(provider, registry),
    chainFlags: ['--rpc', node.rpcUrl, '--registry', registry],
    async stop() {
      provider.destroy();
      await node.stop();
    },
  };
}

/** Runs `waymark ARGS --json` in-process and parses stdout (the error body on failure). */
export async function cliJson(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = await cli([...args, '--json'], { env });
  let body: any;
  try {
    body = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '');
  } catch {
    body = undefined;
  }
  return { ...r, body };
}
