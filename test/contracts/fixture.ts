/**
 * Shared set-up for the contract suites: a fresh anvil on a free port, the registry
 * deployed, and one wallet per role (admin, region authority, operator, kiosks, stranger).
 */
import { Wallet, type JsonRpcProvider } from 'ethers';
import { startAnvil, type AnvilNode } from '../../contracts/anvil.js';
import { connectProvider, registryClient, type RegistryClient } from '../../contracts/client.js';
import { deploy, type DeployParameters } from '../../contracts/actions/deploy.js';
import { registerRegion } from '../../contracts/actions/register-region.js';
import { registerVenue } from '../../contracts/actions/register-venue.js';
import { authorizeKiosk } from '../../contracts/actions/authorize-kiosk.js';

export interface Roles {
  admin: RegistryClient;
  authority: RegistryClient;
  operator: RegistryClient;
  kiosk: RegistryClient;
  kiosk2: RegistryClient;
  stranger: RegistryClient;
}

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
  const node = await startAnvil();
  const provider = connectProvider(node.rpcUrl, { chainId: 31337, pollingIntervalMs: 20 });
  const names: (keyof Roles)[] = ['admin', 'authority', 'operator', 'kiosk', 'kiosk2', 'stranger'];
  const wallets = names.map((_, i) => new Wallet(node.accounts[i], provider));
  const { registry } = await deploy(wallets[0], deployParams);
  const roles = {} as Roles;
  const addresses = {} as Record<keyof Roles, string>;
  names.forEach((name, i) => {
    roles[name] = registryClient(wallets[i], registry);
    addresses[name] = wallets[i].address;
  });
  return {
    node,
    provider,
    registry,
    roles,
    addresses,
    reader: registryClient(provider, registry),
    async stop() {
      provider.destroy();
      await node.stop();
    },
  };
}

/** Region `u4pr` for the authority, and one venue at `u4pruydqq` run by the operator. */
export async function setUpVenue(chain: ChainFixture, opts: { kiosk?: boolean } = {}): Promise<bigint> {
  const { roles, addresses } = chain;
  await registerRegion(roles.admin, { prefix: 'u4pr', authority: addresses.authority });
  const { venueId } = await registerVenue(roles.authority, { geohash: 'u4pruydqq', operator: addresses.operator });
  if (opts.kiosk !== false) await authorizeKiosk(roles.operator, { venueId, kiosk: addresses.kiosk });
  return venueId;
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
