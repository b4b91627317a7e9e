/**
 * The kiosk's beacon as configured: the Ed25519 key from its file (created 0600 on first
 * start), the signed frame for the venue, and a broadcaster on the given Advertiser.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { KioskConfig } from '../core/config.js';
import type { Clock } from '../core/clock.js';
import type { Advertiser } from '../core/ports.js';
import type { Logger } from '../core/log.js';
import { WaymarkError } from '../core/errors.js';
import { KioskBeacon, fromHex, toHex } from '../beacon/index.js';
import { BeaconBroadcaster } from './beacon-broadcaster.js';
import { Wallet, type JsonRpcProvider } from 'ethers';
import { connectProvider, registryClient } from '../contracts/client.js';
import { beaconKeyFor } from '../contracts/actions/beacon-key-for.js';
import { setBeaconKey } from '../contracts/actions/set-beacon-key.js';

export const BEACON_KEY_FILE = 'beacon-key.hex';

export function beaconKeyPath(config: KioskConfig): string {
  return config.beacon.keyFile ?? join(config.dataDir, BEACON_KEY_FILE);
}

/** The beacon key at `path`, created (32 random bytes, hex, mode 0600) if missing. */
export function loadOrCreateBeaconKey(path: string): Uint8Array {
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8').trim();
    if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new WaymarkError('WAYMARK_ERR_CONFIG_INVALID', `beacon key file ${path} must hold 64 hex digits`);
    return fromHex(text);
  }
  mkdirSync(dirname(path), { recursive: true });
  const key = new Uint8Array(randomBytes(32));
  writeFileSync(path, toHex(key) + '\n', { mode: 0o600 });
  return key;
}

export function createKioskBeacon(config: KioskConfig): KioskBeacon {
  return new KioskBeacon({
    secretKey: loadOrCreateBeaconKey(beaconKeyPath(config)),
    geohash: config.venue.geohash,
    periodS: config.beacon.periodS,
    txPower: config.beacon.txPowerDbm,
  });
}

export function createBeaconBroadcaster(opts: { config: KioskConfig; clock: Clock; advertiser: Advertiser; logger?: Logger }): BeaconBroadcaster {
  return new BeaconBroadcaster({
    advertiser: opts.advertiser,
    beacon: createKioskBeacon(opts.config),
    clock: opts.clock,
    intervalMs: opts.config.beacon.intervalMs,
    logger: opts.logger,
  });
}

/**
 * Publishes the kiosk's beacon key in the registry (once; a no-op when the chain already
 * maps the beacon's id to this kiosk), so phones can verify its beacons. 'published' only
 * once the transaction is `confirmations` blocks deep (default 1: its receipt), as the outbox
 * counts a batch; a publication a reorg drops before that is WAYMARK_ERR_CHAIN_REVERTED.
 * Failures are the caller's to log: the beacon works without it for phones that got the key
 * another way. (A reorg deeper than that still undoes it; the next start publishes again.)
 */
export async function publishBeaconKey(opts: {
  rpcUrl: string; registry: string; chainId?: number; privateKey: string; beacon: KioskBeacon;
  /** Blocks the publication must be buried under (its own block counts as 1): the kiosk's chain.confirmations. */
  confirmations?: number;
}): Promise<'published' | 'unchanged'> {
  const provider = connectProvider(opts.rpcUrl, { chainId: opts.chainId });
  try {
    const wallet = new Wallet(opts.privateKey, provider);
    const client = registryClient(wallet, opts.registry);
    const current = await beaconKeyFor(client, { beaconId: toHex(opts.beacon.kioskId) });
    if (current && current.kiosk.toLowerCase() === wallet.address.toLowerCase() && current.beaconKey === toHex(opts.beacon.publicKey)) return 'unchanged';
    const receipt = await setBeaconKey(client, { beaconKey: toHex(opts.beacon.publicKey) });
    await buried(provider, receipt.txHash, opts.confirmations ?? 1);
    return 'published';
  } finally {
    provider.destroy();
  }
}

/** Waits until the mined transaction `txHash` is `confirmations` blocks deep; throws if a reorg drops it first. */
async function buried(provider: JsonRpcProvider, txHash: string, confirmations: number): Promise<void> {
  for (;;) {
    const [head, receipt] = await Promise.all([provider.getBlockNumber(), provider.getTransactionReceipt(txHash)]);
    if (!receipt) throw new WaymarkError('WAYMARK_ERR_CHAIN_REVERTED', `the beacon key's publication ${txHash} was dropped by a reorg before it was ${confirmations} blocks deep`);
    if (head - receipt.blockNumber + 1 >= confirmations) return;
    await new Promise((resolve) => setTimeout(resolve, provider.pollingInterval));
  }
}
