/**
 * `provision rotate-key`: gives a kiosk a new key without a gap in its authorization. The
 * new key is staged next to the old one, the operator authorizes it (new device
 * certificate), the old address is revoked on chain, and only then is the old key file
 * wiped and replaced. A failure before the swap leaves the old key in place and working.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { Wallet, type BaseWallet } from 'ethers';
import { WaymarkError } from '../core/errors.js';
import { isKiosk } from '../contracts/actions/is-kiosk.js';
import { revokeKiosk } from '../contracts/actions/revoke-kiosk.js';
import type { ChainSession } from './chain-access.js';
import { authorizeKioskWithCertificate, type AuthorizeResult } from './authorize.js';
import { writeDeviceCertificate } from '../contracts/device-certificate.js';
import { writeIdentity, type KioskIdentity } from './init.js';
import { existingKeyFile, kioskFiles } from '../core/data-dir.js';
import { isKeystoreText, keyFileAddress } from '../contracts/kiosk-key.js';
import { resolvePassphrase, wipeFile, writeKeystore, writePlainKey, MIN_PASSPHRASE_LENGTH, type PassphraseSource } from './keys.js';

export interface RotateKeyParameters {
  dataDir: string;
  venueId: bigint;
  /** For the new keystore (when the old key is a keystore). */
  passphrase: PassphraseSource;
  fundEth?: string;
  validDays?: number;
}

export interface RotateKeyResult {
  oldAddress: string;
  newIdentity: KioskIdentity;
  authorization: AuthorizeResult;
  revokeTxHash?: string;
}

export async function rotateKioskKey(chain: ChainSession, operatorKey: BaseWallet, params: RotateKeyParameters): Promise<RotateKeyResult> {
  const files = kioskFiles(params.dataDir);
  const keyFile = existingKeyFile(params.dataDir);
  if (!keyFile) throw new WaymarkError('WAYMARK_ERR_KEY_NOT_FOUND', `no kiosk key in ${params.dataDir} (run 'waymark provision init' first)`, { details: { dataDir: params.dataDir } });
  const oldAddress = keyFileAddress(keyFile);
  const encrypted = isKeystoreText(readFileSync(keyFile, 'utf8'));
  const passphrase = encrypted ? await resolvePassphrase(params.passphrase, { confirm: true, minLength: MIN_PASSPHRASE_LENGTH }) : undefined;

  const next = Wallet.createRandom();
  const staged = `${keyFile}.next`;
  if (encrypted) await writeKeystore(staged, next, passphrase!);
  else writePlainKey(staged, next);
  let authorization: AuthorizeResult;
  let revokeTxHash: string | undefined;
  try {
    authorization = await authorizeKioskWithCertificate(chain, operatorKey, { venueId: params.venueId, kiosk: next.address, fundEth: params.fundEth, validDays: params.validDays });
    if (await isKiosk(chain.reader, { venueId: params.venueId, kiosk: oldAddress })) {
      revokeTxHash = (await revokeKiosk(chain.as(operatorKey), { venueId: params.venueId, kiosk: oldAddress })).txHash;
    }
  } catch (err) {
    wipeFile(staged);
    throw err;
  }
  wipeFile(keyFile);
  renameSync(staged, keyFile);
  if (existsSync(files.certificate)) wipeFile(files.certificate);
  writeDeviceCertificate(files.certificate, authorization.certificate);
  const newIdentity = writeIdentity(params.dataDir, next, keyFile, encrypted);
  return { oldAddress, newIdentity, authorization: { ...authorization, certificateFile: files.certificate }, revokeTxHash };
}
