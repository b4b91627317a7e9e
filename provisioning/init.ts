/**
 * `provision init`: generates the kiosk's own key in its data dir, as an encrypted JSON
 * keystore (or a 0600 hex file with `plain`), and records its public identity beside it.
 */
import { existsSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { Wallet, type BaseWallet } from 'ethers';
import { WaymarkError } from '../core/errors.js';
import { kioskFiles, existingKeyFile } from '../core/data-dir.js';
import { MIN_PASSPHRASE_LENGTH, publicKeyOf, resolvePassphrase, writeKeystore, writePlainKey, wipeFile, type PassphraseSource } from './keys.js';

export interface InitKioskParameters {
  dataDir: string;
  /** Write a 0600 hex key instead of a keystore. */
  plain?: boolean;
  /** Replace an existing key (the old file is wiped). */
  force?: boolean;
  /** For the keystore; ignored with `plain`. */
  passphrase?: PassphraseSource | { text: string };
  /** Use this key instead of a fresh random one (key rotation writes through here too). */
  wallet?: BaseWallet;
}

export interface KioskIdentity {
  address: string;
  publicKey: string;
  keyFile: string;
  encrypted: boolean;
  createdAt: string;
}

export async function initKiosk(params: InitKioskParameters): Promise<KioskIdentity> {
  mkdirSync(params.dataDir, { recursive: true, mode: 0o750 });
  const files = kioskFiles(params.dataDir);
  const existing = existingKeyFile(params.dataDir);
  if (existing && !params.force) {
    throw new WaymarkError('WAYMARK_ERR_KEY_EXISTS', `${existing} (pass --force to replace it, or use 'waymark provision rotate-key')`, { details: { file: existing } });
  }
  // Ask for the passphrase before touching anything, so a refused one changes nothing.
  let passphrase: string | undefined;
  if (!params.plain) {
    if (!params.passphrase) throw new WaymarkError('WAYMARK_ERR_USAGE', 'a keystore needs a passphrase source');
    passphrase = 'text' in params.passphrase ? params.passphrase.text : await resolvePassphrase(params.passphrase, { confirm: true, minLength: MIN_PASSPHRASE_LENGTH });
  }
  const wallet = params.wallet ?? Wallet.createRandom();
  const keyFile = params.plain ? files.plainKey : files.keystore;
  if (params.plain) writePlainKey(keyFile, wallet);
  else await writeKeystore(keyFile, wallet, passphrase!);
  // Only one key per data dir: the other format's file (a replaced key) is wiped.
  for (const other of [files.plainKey, files.keystore]) if (other !== keyFile && existsSync(other)) wipeFile(other);
  if (existsSync(files.certificate)) unlinkSync(files.certificate); // it vouched for the old key
  return writeIdentity(params.dataDir, wallet, keyFile, !params.plain);
}

/** Records the key's address and public key beside it (readable without the passphrase). */
export function writeIdentity(dataDir: string, wallet: BaseWallet, keyFile: string, encrypted: boolean): KioskIdentity {
  const identity: KioskIdentity = { address: wallet.address, publicKey: publicKeyOf(wallet), keyFile, encrypted, createdAt: new Date().toISOString() };
  writeFileSync(kioskFiles(dataDir).identity, JSON.stringify(identity, null, 2) + '\n', { mode: 0o644 });
  return identity;
}
