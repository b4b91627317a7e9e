/**
 * The chain of demo mode and tests: a real anvil node on a free loopback port (its state
 * kept in `<dataDir>/chain/anvil-state.json`, so a restart keeps the chain) or any external
 * node, with the WaymarkRegistry deployed and a dev venue set up with anvil's default keys:
 * admin, region authority, venue operator and kiosk. Never for production keys.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { WaymarkError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { ANVIL_DEV_KEYS, startAnvil, type AnvilNode } from '../contracts/anvil.js';
import { connectProvider, registryClient } from '../contracts/client.js';
import { deploy } from '../contracts/actions/deploy.js';
import { registerRegion } from '../contracts/actions/register-region.js';
import { registerVenue } from '../contracts/actions/register-venue.js';
import { authorizeKiosk } from '../contracts/actions/authorize-kiosk.js';
import { isKiosk } from '../contracts/actions/is-kiosk.js';
import { assertVenueGeohash } from '../contracts/validate.js';
import { probeChainId } from '../kiosk/batcher/outbox-chain.js';

/** Which of anvil's dev accounts plays which role. */
export const DEV_ROLES = { admin: 0, authority: 1, operator: 2, kiosk: 3 } as const;

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

export async function startEmbeddedChain(opts: EmbeddedChainOptions): Promise<EmbeddedChain> {
  const log = opts.logger ?? silentLogger;
  const geohash = assertVenueGeohash(opts.geohash, 'venue.geohash');
  const chainDir = opts.dataDir ? join(opts.dataDir, 'chain') : undefined;
  if (chainDir) mkdirSync(chainDir, { recursive: true });
  const anvil = opts.rpcUrl ? undefined : await startAnvil({ stateFile: chainDir ? join(chainDir, ANVIL_STATE_FILE) : undefined });
  const rpcUrl = opts.rpcUrl ?? anvil!.rpcUrl;
  let chainId: number;
  try {
    chainId = Number(await probeChainId(rpcUrl, 10_000));
  } catch (err) {
    await anvil?.stop();
    throw err;
  }
  const provider = connectProvider(rpcUrl, { chainId, pollingIntervalMs: 50 });
  const wallet = (role: keyof typeof DEV_ROLES) => new Wallet(ANVIL_DEV_KEYS[DEV_ROLES[role]]!, provider);
  const kioskAddress = wallet('kiosk').address;
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
      deployment = await deployDevVenue(provider, wallet, { rpcUrl, chainId, geohash, kiosk: kioskAddress });
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
    provider.destroy();
    await anvil?.stop();
    throw err;
  }
}

async function stillThere(provider: ReturnType<typeof connectProvider>, d: ChainDeployment, chainId: number, geohash: string): Promise<boolean> {
  if (d.chainId !== chainId || d.geohash !== geohash) return false;
  if ((await provider.getCode(d.registry)) === '0x') return false;
  return isKiosk(registryClient(provider, d.registry), { venueId: d.venueId, kiosk: d.kiosk });
}

/** Deploys the registry and sets up region, venue and kiosk with the dev keys. */
async function deployDevVenue(
  provider: ReturnType<typeof connectProvider>,
  wallet: (role: keyof typeof DEV_ROLES) => Wallet,
  d: { rpcUrl: string; chainId: number; geohash: string; kiosk: string },
): Promise<ChainDeployment> {
  const admin = wallet('admin');
  const authority = wallet('authority');
  const operator = wallet('operator');
  const { registry } = await deploy(admin);
  await registerRegion(registryClient(admin, registry), { prefix: d.geohash.slice(0, 4), authority: authority.address });
  const { venueId } = await registerVenue(registryClient(authority, registry), { geohash: d.geohash, operator: operator.address });
  await authorizeKiosk(registryClient(operator, registry), { venueId, kiosk: d.kiosk });
  return { rpcUrl: d.rpcUrl, chainId: d.chainId, registry, venueId: Number(venueId), geohash: d.geohash, kiosk: d.kiosk };
}
