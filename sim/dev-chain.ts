/**
 * The dev chain of demo mode, tests and the bench: a real anvil node on a free loopback port
 * (for the demo its state kept in `<dataDir>/chain/anvil-state.json`, so a restart keeps the
 * chain) or any external node, with the WaymarkRegistry deployed and a dev venue set up with
 * anvil's default keys: admin, region authority, venue operator and kiosk. The steps are
 * exported for fixtures that need only some of them. Never for production keys.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet, type JsonRpcProvider, type Provider } from 'ethers';
import { WaymarkError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { ANVIL_DEV_KEYS, startAnvil, type AnvilNode, type StartAnvilOptions } from '../contracts/anvil.js';
import { connectProvider, registryClient } from '../contracts/client.js';
import { deploy, type DeployParameters } from '../contracts/actions/deploy.js';
import { registerRegion } from '../contracts/actions/register-region.js';
import { registerVenue } from '../contracts/actions/register-venue.js';
import { authorizeKiosk } from '../contracts/actions/authorize-kiosk.js';
import { isKiosk } from '../contracts/actions/is-kiosk.js';
import { assertVenueGeohash } from '../contracts/validate.js';
import { probeChainId } from '../kiosk/batcher/outbox-chain.js';

/** Which of anvil's dev accounts plays which role. */
export const DEV_ROLES = { admin: 0, authority: 1, operator: 2, kiosk: 3 } as const;
export type DevRole = keyof typeof DEV_ROLES;

/** The dev venue's cell when a fixture does not name one; its region is `u4pr`. */
export const DEV_GEOHASH = 'u4pruydqq';

/** Anvil dev account `who` (a role or an index) as a wallet, on `provider` when given. */
export function devWallet(who: DevRole | number, provider?: Provider): Wallet {
  const index = typeof who === 'number' ? who : DEV_ROLES[who];
  const key = ANVIL_DEV_KEYS[index];
  if (!key) throw new RangeError(`anvil has no dev key ${index}`);
  return new Wallet(key, provider);
}

export interface DevNodeOptions {
  /** Use this node instead of starting anvil (its dev accounts must hold anvil's default keys). */
  rpcUrl?: string;
  /** How anvil is started (state file, accounts, gas limit). */
  anvil?: StartAnvilOptions;
  /** The provider's polling interval, ms (default 50). */
  pollingIntervalMs?: number;
}

export interface DevNode {
  rpcUrl: string;
  chainId: number;
  /** A provider on the node, no response cache; destroyed by stop(). */
  provider: JsonRpcProvider;
  /** The anvil node this process started, if any. */
  anvil?: AnvilNode;
  /** Destroys the provider and stops the anvil this process started. */
  stop(): Promise<void>;
}

/** Step 1: an anvil on a free loopback port (or the node at `rpcUrl`) and a provider on it. */
export async function startDevNode(opts: DevNodeOptions = {}): Promise<DevNode> {
  const anvil = opts.rpcUrl ? undefined : await startAnvil(opts.anvil);
  const rpcUrl = opts.rpcUrl ?? anvil!.rpcUrl;
  let chainId: number;
  try {
    chainId = Number(await probeChainId(rpcUrl, 10_000));
  } catch (err) {
    await anvil?.stop();
    throw err;
  }
  const provider = connectProvider(rpcUrl, { chainId, pollingIntervalMs: opts.pollingIntervalMs ?? 50 });
  let destroyed = false;
  return {
    rpcUrl,
    chainId,
    provider,
    anvil,
    async stop() {
      if (!destroyed) provider.destroy();
      destroyed = true;
      await anvil?.stop();
    },
  };
}

/** Step 2: the WaymarkRegistry deployed by the dev admin; returns its address. */
export async function deployDevRegistry(provider: Provider, params: DeployParameters = {}): Promise<string> {
  return (await deploy(devWallet('admin', provider), params)).registry;
}

/** A region registered by the dev admin for the dev account `authority` (default: the region authority). */
export async function setUpDevRegion(provider: Provider, registry: string, opts: { prefix: string; authority?: DevRole | number }): Promise<void> {
  const authority = devWallet(opts.authority ?? 'authority').address;
  await registerRegion(registryClient(devWallet('admin', provider), registry), { prefix: opts.prefix, authority });
}

/**
 * Step 3: region `geohash[0..4]` for the dev authority, a venue at `geohash` run by the dev
 * operator and, unless `kiosk` is false, the dev kiosk (or the given address) authorized for it.
 */
export async function setUpDevVenue(provider: Provider, registry: string, opts: { geohash?: string; kiosk?: string | false } = {}): Promise<bigint> {
  const geohash = opts.geohash ?? DEV_GEOHASH;
  await setUpDevRegion(provider, registry, { prefix: geohash.slice(0, 4) });
  const operator = devWallet('operator', provider);
  const { venueId } = await registerVenue(registryClient(devWallet('authority', provider), registry), { geohash, operator: operator.address });
  if (opts.kiosk !== false) await authorizeKiosk(registryClient(operator, registry), { venueId, kiosk: opts.kiosk ?? devWallet('kiosk').address });
  return venueId;
}

export interface EmbeddedChainOptions {
  /** Keep anvil's state and the deployment record under `<dataDir>/chain/`; absent = throwaway chain. */
  dataDir?: string;
  /** Use this node instead of starting anvil (its dev accounts must hold anvil's default keys). */
  rpcUrl?: string;
  /** The venue's geohash-9; its first 4 characters become the dev region. */
  geohash: string;
  /** An existing deployment to use as is (the kiosk must be authorized for the venue). */
  registry?: string;
  venueId?: number;
  logger?: Logger;
}

export interface ChainDeployment {
  rpcUrl: string;
  chainId: number;
  registry: string;
  venueId: number;
  geohash: string;
  /** The kiosk's address (dev account 3). */
  kiosk: string;
}

export interface EmbeddedChain extends ChainDeployment {
  /** The kiosk's private key (anvil dev key). */
  kioskKey: string;
  /** The anvil node this process started, if any. */
  anvil?: AnvilNode;
  /** True when this start deployed a fresh registry (false: reused the recorded one). */
  deployed: boolean;
  stop(): Promise<void>;
}

export const ANVIL_STATE_FILE = 'anvil-state.json';
export const DEPLOYMENT_FILE = 'deployment.json';

/**
 * All three steps, for the demo: reuses the deployment recorded in `<dataDir>/chain/` while
 * it is still on the chain, else deploys and records a new one.
 */
export async function startEmbeddedChain(opts: EmbeddedChainOptions): Promise<EmbeddedChain> {
  const log = opts.logger ?? silentLogger;
  const geohash = assertVenueGeohash(opts.geohash, 'venue.geohash');
  const chainDir = opts.dataDir ? join(opts.dataDir, 'chain') : undefined;
  if (chainDir) mkdirSync(chainDir, { recursive: true });
  const node = await startDevNode({ rpcUrl: opts.rpcUrl, anvil: { stateFile: chainDir ? join(chainDir, ANVIL_STATE_FILE) : undefined } });
  const { rpcUrl, chainId, provider, anvil } = node;
  const kioskAddress = devWallet('kiosk').address;
  try {
    const recordPath = chainDir ? join(chainDir, DEPLOYMENT_FILE) : undefined;
    let deployment: ChainDeployment | undefined;
    let deployed = false;
    if (opts.registry && opts.venueId) {
      deployment = { rpcUrl, chainId, registry: opts.registry, venueId: opts.venueId, geohash, kiosk: kioskAddress };
      if (!(await isKiosk(registryClient(provider, opts.registry), { venueId: opts.venueId, kiosk: kioskAddress }))) {
        throw new WaymarkError('WAYMARK_ERR_CHAIN_UNAUTHORIZED', `dev kiosk ${kioskAddress} is not authorized for venue ${opts.venueId} on ${opts.registry}`);
      }
    } else if (recordPath && existsSync(recordPath)) {
      const recorded = JSON.parse(readFileSync(recordPath, 'utf8')) as ChainDeployment;
      if (await stillThere(provider, recorded, chainId, geohash)) deployment = { ...recorded, rpcUrl };
      else log.warn({ registry: recorded.registry }, 'recorded registry is not on this chain; deploying a new one');
    }
    if (!deployment) {
      const registry = await deployDevRegistry(provider);
      const venueId = await setUpDevVenue(provider, registry, { geohash, kiosk: kioskAddress });
      deployment = { rpcUrl, chainId, registry, venueId: Number(venueId), geohash, kiosk: kioskAddress };
      deployed = true;
      if (recordPath) writeFileSync(recordPath, JSON.stringify(deployment, null, 2) + '\n');
      log.info({ registry: deployment.registry, venueId: deployment.venueId }, 'registry deployed, dev venue registered');
    }
    provider.destroy();
    return {
      ...deployment,
      kioskKey: ANVIL_DEV_KEYS[DEV_ROLES.kiosk]!,
      anvil,
      deployed,
      async stop() {
        await anvil?.stop();
      },
    };
  } catch (err) {
    await node.stop();
    throw err;
  }
}

async function stillThere(provider: Provider, d: ChainDeployment, chainId: number, geohash: string): Promise<boolean> {
  if (d.chainId !== chainId || d.geohash !== geohash) return false;
  if ((await provider.getCode(d.registry)) === '0x') return false;
  return isKiosk(registryClient(provider, d.registry), { venueId: d.venueId, kiosk: d.kiosk });
}
