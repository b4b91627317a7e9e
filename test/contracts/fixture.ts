/**
 * Shared set-up for the contract suites: the dev chain of sim/dev-chain.ts (a fresh anvil
 * on a free port, the registry deployed) and one registry client per role (admin, region
 * authority, operator, kiosks, stranger), each an anvil dev account.
 */
import { Interface, type JsonRpcProvider } from 'ethers';
import { getArtifact } from '../../contracts/build.js';
import type { AnvilNode } from '../../contracts/anvil.js';
import { registryClient, type RegistryClient } from '../../contracts/client.js';
import type { DeployParameters } from '../../contracts/actions/deploy.js';
import { DEV_GEOHASH, DEV_ROLES, deployDevRegistry, devWallet, setUpDevVenue, startDevNode } from '../../sim/dev-chain.js';

export interface Roles {
  admin: RegistryClient;
  authority: RegistryClient;
  operator: RegistryClient;
  kiosk: RegistryClient;
  kiosk2: RegistryClient;
  stranger: RegistryClient;
}

/** Dev account per role: the dev chain's four, then a second kiosk and a stranger. */
const ACCOUNTS: Record<keyof Roles, number> = { ...DEV_ROLES, kiosk2: 4, stranger: 5 };

export interface ChainFixture {
  node: AnvilNode;
  provider: JsonRpcProvider;
  registry: string;
  roles: Roles;
  addresses: Record<keyof Roles, string>;
  /** A read-only client. */
  reader: RegistryClient;
  stop(): Promise<void>;
}

export async function startChain(deployParams: DeployParameters = {}): Promise<ChainFixture> {
  const dev = await startDevNode({ pollingIntervalMs: 20 });
  let registry: string;
  try {
    registry = await deployDevRegistry(dev.provider, deployParams);
  } catch (err) {
    await dev.stop();
    throw err;
  }
  const roles = {} as Roles;
  const addresses = {} as Record<keyof Roles, string>;
  for (const [name, index] of Object.entries(ACCOUNTS) as [keyof Roles, number][]) {
    const wallet = devWallet(index, dev.provider);
    roles[name] = registryClient(wallet, registry);
    addresses[name] = wallet.address;
  }
  return {
    node: dev.anvil!,
    provider: dev.provider,
    registry,
    roles,
    addresses,
    reader: registryClient(dev.provider, registry),
    stop: () => dev.stop(),
  };
}

/** Region `u4pr` for the authority, and one venue at `u4pruydqq` run by the operator. */
export async function setUpVenue(chain: ChainFixture, opts: { kiosk?: boolean } = {}): Promise<bigint> {
  return setUpDevVenue(chain.provider, chain.registry, { geohash: DEV_GEOHASH, kiosk: opts.kiosk === false ? false : chain.addresses.kiosk });
}

export function root(n: number): string {
  return `0x${n.toString(16).padStart(64, '0')}`;
}

export async function increaseTime(chain: ChainFixture, seconds: number): Promise<void> {
  await chain.provider.send('evm_increaseTime', [seconds]);
  await chain.provider.send('evm_mine', []);
}

export async function blockTime(chain: ChainFixture): Promise<number> {
  return (await chain.provider.getBlock('latest'))!.timestamp;
}

const registryInterface = new Interface(getArtifact('WaymarkRegistry').abi as never);

/** The registry events a mined transaction emitted, decoded, in log order. */
export async function eventsOf(chain: Pick<ChainFixture, 'provider'>, txHash: string): Promise<{ name: string; args: Record<string, unknown> }[]> {
  const receipt = await chain.provider.getTransactionReceipt(txHash);
  return receipt!.logs.map((log) => registryInterface.parseLog(log)!).map((l) => ({ name: l.name, args: l.args.toObject() }));
}
