/**
 * Shared set-up for the provisioning suites: the dev chain of sim/dev-chain.ts (one anvil
 * per test file, the registry deployed), key files for the operator and a region authority
 * in a temp dir, and the operator made region authority of `u4pr` so it can register venues
 * there itself (through the CLI, which these suites exercise).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonRpcProvider, Wallet } from 'ethers';
import type { AnvilNode } from '../../contracts/anvil.js';
import { registryClient, type RegistryClient } from '../../contracts/client.js';
import { deployDevRegistry, devWallet, setUpDevRegion, startDevNode } from '../../sim/dev-chain.js';
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
  const dev = await startDevNode({ pollingIntervalMs: 20 });
  let registry: string;
  try {
    registry = await deployDevRegistry(dev.provider);
    await setUpDevRegion(dev.provider, registry, { prefix: 'u4pr', authority: 'operator' });
    await setUpDevRegion(dev.provider, registry, { prefix: 'gcpv', authority: 'authority' });
  } catch (err) {
    await dev.stop();
    throw err;
  }
  const authority = devWallet('authority', dev.provider);
  const operator = devWallet('operator', dev.provider);
  const operatorKeyFile = join(dir, 'operator.hex');
  const authorityKeyFile = join(dir, 'authority.hex');
  writeFileSync(operatorKeyFile, operator.privateKey + '\n', { mode: 0o600 });
  writeFileSync(authorityKeyFile, authority.privateKey + '\n', { mode: 0o600 });
  return {
    node: dev.anvil!,
    provider: dev.provider,
    registry,
    dir,
    operatorKeyFile,
    authorityKeyFile,
    operator,
    authority,
    reader: registryClient(dev.provider, registry),
    chainFlags: ['--rpc', dev.rpcUrl, '--registry', registry],
    stop: () => dev.stop(),
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

/** A venue registered in the test region; returns its id. */
export async function registerTestVenue(chain: ProvisioningChain, name = 'Hall'): Promise<string> {
  const r = await cliJson(['provision', 'venue', 'register', '--name', name, '--lat', IN_REGION.lat, '--lon', IN_REGION.lon, '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.body.venueId;
}

/**
 * init + authorize (funded) + config write for one kiosk under `dir`; returns its config
 * path and address. With `passphraseFile` the key is a keystore, else a plain 0600 file.
 */
export async function provisionKiosk(chain: ProvisioningChain, opts: { dir: string; venueId: string; name: string; passphraseFile?: string; radio?: string }) {
  const dataDir = join(opts.dir, opts.name);
  const pass = opts.passphraseFile ? ['--passphrase-file', opts.passphraseFile] : ['--plain-key'];
  const init = await cliJson(['provision', 'init', '--data-dir', dataDir, ...pass]);
  const auth = await cliJson(['provision', 'kiosk', 'authorize', '--venue', opts.venueId, '--data-dir', dataDir, '--operator-key', chain.operatorKeyFile, '--fund', '0.1', ...chain.chainFlags]);
  if (auth.code !== 0) throw new Error(auth.stderr);
  const config = join(dataDir, 'config.json');
  const w = await cliJson(['provision', 'config', 'write', '--config', config, '--data-dir', dataDir, '--rpc', chain.node.rpcUrl, '--chain-id', '31337', '--registry', chain.registry, '--radio', opts.radio ?? 'virtual',
    ...(opts.passphraseFile ? ['--passphrase-file', opts.passphraseFile] : [])]);
  if (w.code !== 0) throw new Error(w.stderr);
  return { dataDir, config, address: init.body.address as string };
}
