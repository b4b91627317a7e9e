/**
 * `provision decommission`: retires a kiosk for good. The operator revokes its address on
 * chain (its later commits are refused), then the key file is overwritten and deleted and
 * the certificate removed; a small record of what was done stays in the data dir.
 */
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getAddress, type BaseWallet } from 'ethers';
import { WaymarkError } from '../core/errors.js';
import { isKiosk } from '../contracts/actions/is-kiosk.js';
import { revokeKiosk } from '../contracts/actions/revoke-kiosk.js';
import type { ChainSession } from './chain-access.js';
import { readDeviceCertificate } from '../contracts/device-certificate.js';
import { kioskFiles } from '../core/data-dir.js';
import { keyFileAddress } from '../contracts/kiosk-key.js';
import { wipeFile } from './keys.js';

export const DECOMMISSION_RECORD = 'decommissioned.json';

export interface DecommissionParameters {
  dataDir: string;
  /** Default: the venue of the device certificate. */
  venueId?: bigint;
}

export interface DecommissionResult {
  kiosk: string;
  venueId: bigint;
  revokeTxHash?: string;
  alreadyRevoked: boolean;
  wiped: string[];
  record: string;
}

export async function decommissionKiosk(chain: ChainSession, operatorKey: BaseWallet, params: DecommissionParameters): Promise<DecommissionResult> {
  const files = kioskFiles(params.dataDir);
  const keyFiles = [files.keystore, files.plainKey].filter((f) => existsSync(f));
  const cert = readDeviceCertificate(files.certificate);
  let kiosk: string | undefined;
  if (keyFiles.length) kiosk = keyFileAddress(keyFiles[0]);
  else if (existsSync(files.identity)) kiosk = getAddress((JSON.parse(readFileSync(files.identity, 'utf8')) as { address: string }).address);
  if (!kiosk) throw new WaymarkError('WAYMARK_ERR_KEY_NOT_FOUND', `no kiosk key or identity in ${params.dataDir}`, { details: { dataDir: params.dataDir } });
  const venueId = params.venueId ?? (cert ? BigInt(cert.certificate.venueId) : undefined);
  if (venueId === undefined) throw new WaymarkError('WAYMARK_ERR_USAGE', `no device certificate in ${params.dataDir} to take the venue from: pass --venue ID`, { details: { field: 'venue' } });

  const authorized = await isKiosk(chain.reader, { venueId, kiosk });
  // Revoke first: if the chain refuses, the key stays so the operator can retry.
  const revokeTxHash = authorized ? (await revokeKiosk(chain.as(operatorKey), { venueId, kiosk })).txHash : undefined;
  const wiped: string[] = [];
  for (const f of keyFiles) {
    wipeFile(f);
    wiped.push(f);
  }
  for (const f of [files.certificate, files.identity]) {
    if (existsSync(f)) {
      unlinkSync(f);
      wiped.push(f);
    }
  }
  const record = join(params.dataDir, DECOMMISSION_RECORD);
  writeFileSync(record, JSON.stringify({ kiosk, venueId: venueId.toString(), revokeTxHash: revokeTxHash ?? null, chainId: chain.chainId, registry: chain.registry, at: new Date().toISOString() }, null, 2) + '\n');
  return { kiosk, venueId, revokeTxHash, alreadyRevoked: !authorized, wiped, record };
}
