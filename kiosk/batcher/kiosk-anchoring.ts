/**
 * Anchoring for the kiosk daemon: on when the config names the node, the registry, the
 * venue and a key file; the key is loaded, the venue and the kiosk's authorization are
 * checked on chain (a reachable node that refuses them stops the start with a clear
 * error), and the outbox starts. Otherwise it logs that anchoring is off.
 */
import { existsSync } from 'node:fs';
import { WaymarkError, isWaymarkError } from '../../core/errors.js';
import { redactUrl } from '../../core/redact.js';
import type { Kiosk } from '../kiosk.js';
import { connectProvider, registryClient } from '../../contracts/client.js';
import { getVenue } from '../../contracts/actions/get-venue.js';
import { assertRegistry } from '../../contracts/actions/assert-registry.js';
import { isKiosk } from '../../contracts/actions/is-kiosk.js';
import { AttestationStore } from '../checkin/records.js';
import { Anchoring, type AnchoringOptions } from './anchoring.js';
import { attestationRecordSource } from './attestation-source.js';
import { kioskKeyFile, loadKioskKey, type KioskKey } from '../../contracts/kiosk-key.js';
import { createOutboxChain, probeChainId } from './outbox-chain.js';

/** The kiosk's chain key, or undefined when there is no key file yet. */
export async function loadConfiguredKioskKey(config: Kiosk['config'], env?: NodeJS.ProcessEnv): Promise<KioskKey | undefined> {
  const keyFile = kioskKeyFile(config);
  if (!existsSync(keyFile)) return undefined;
  return loadKioskKey({ keyFile, passphraseFile: config.chain.passphraseFile, env });
}

export interface KioskAnchoringOptions {
  env?: NodeJS.ProcessEnv;
  /** The kiosk key, when the caller has it already (else it is loaded from chain.keyFile). */
  key?: KioskKey;
  /** How often the chain client polls the node, ms (ethers' default 4000). */
  pollingIntervalMs?: number;
  /** Sender tuning (the demo's fast chain). */
  sender?: AnchoringOptions['sender'];
}

export async function startKioskAnchoring(kiosk: Kiosk, opts: KioskAnchoringOptions = {}): Promise<Anchoring | undefined> {
  const { chain } = kiosk.config;
  const log = kiosk.log;
  const keyFile = kioskKeyFile(kiosk.config);
  const missing = [
    chain.rpcUrl ? undefined : 'chain.rpcUrl',
    chain.registry ? undefined : 'chain.registry',
    chain.venueId ? undefined : 'chain.venueId',
    opts.key || existsSync(keyFile) ? undefined : `chain.keyFile (${keyFile})`,
  ].filter(Boolean);
  if (missing.length > 0) {
    log.info({ missing }, 'anchoring is off (no chain configured); records stay local');
    return undefined;
  }
  const key = opts.key ?? (await loadKioskKey({ keyFile, passphraseFile: chain.passphraseFile, env: opts.env }));
  for (const w of key.warnings) log.warn(w);
  await preflight(chain.rpcUrl!, chain.registry!, chain.venueId!, key.address, chain.chainId, log);
  const anchoring = new Anchoring({
    kiosk,
    chain: createOutboxChain({ rpcUrl: chain.rpcUrl!, registry: chain.registry!, key: key.privateKey, chainId: chain.chainId, pollingIntervalMs: opts.pollingIntervalMs }),
    venueId: chain.venueId!,
    extraSources: [attestationRecordSource(new AttestationStore(kiosk.database))],
    sender: opts.sender,
  });
  await anchoring.start();
  return anchoring;
}

/** Venue known and kiosk authorized; an unreachable node only warns (the outbox retries). */
async function preflight(rpcUrl: string, registry: string, venueId: number, kiosk: string, chainId: number | undefined, log: Kiosk['log']): Promise<void> {
  let id: bigint;
  try {
    id = await probeChainId(rpcUrl, 10_000);
  } catch (err) {
    log.warn({ rpcUrl: redactUrl(rpcUrl), err: (err as Error).message }, 'chain node unreachable at start; the outbox will retry');
    return;
  }
  if (chainId !== undefined && id !== BigInt(chainId)) {
    throw new WaymarkError('WAYMARK_ERR_CONFIG_INVALID', `chain.chainId is ${chainId} but the node at ${redactUrl(rpcUrl)} is chain ${id}`);
  }
  const provider = connectProvider(rpcUrl, { chainId: Number(id) });
  try {
    const client = registryClient(provider, registry);
    await assertRegistry(client, { chainId: id });
    await getVenue(client, { venueId });
    if (!(await isKiosk(client, { venueId, kiosk }))) {
      throw new WaymarkError('WAYMARK_ERR_CHAIN_UNAUTHORIZED', `kiosk ${kiosk} is not authorized for venue ${venueId}; ask the venue operator to authorize it`);
    }
  } catch (err) {
    if (isWaymarkError(err) && err.code === 'WAYMARK_ERR_CHAIN_UNAVAILABLE') {
      log.warn({ rpcUrl: redactUrl(rpcUrl), err: err.message }, 'chain node unreachable at start; the outbox will retry');
      return;
    }
    throw err;
  } finally {
    provider.destroy();
  }
}
