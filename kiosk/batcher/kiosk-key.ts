/**
 * Loads the kiosk's chain key: an encrypted JSON keystore (decrypted with the passphrase
 * file or $WAYMARK_KEY_PASSPHRASE) or a plain file holding one 0x-hex private key, which
 * should be readable by its owner only.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { Wallet } from 'ethers';
import { WaymarkError } from '../../core/errors.js';
import { ENV } from '../../core/paths.js';

export interface KioskKey {
  privateKey: string;
  address: string;
  format: 'keystore' | 'hex';
  /** E.g. a hex key file readable by group or others. */
  warnings: string[];
}

export async function loadKioskKey(opts: { keyFile: string; passphraseFile?: string; env?: NodeJS.ProcessEnv }): Promise<KioskKey> {
  const { keyFile } = opts;
  if (!existsSync(keyFile)) throw new WaymarkError('WAYMARK_ERR_CONFIG_INVALID', `chain.keyFile: ${keyFile} does not exist`, { details: { field: 'chain.keyFile' } });
  const text = readFileSync(keyFile, 'utf8').trim();
  const warnings: string[] = [];
  if (text.startsWith('{')) {
    let passphrase: string | undefined;
    if (opts.passphraseFile) {
      if (!existsSync(opts.passphraseFile)) throw new WaymarkError('WAYMARK_ERR_CONFIG_INVALID', `chain.passphraseFile: ${opts.passphraseFile} does not exist`);
      passphrase = readFileSync(opts.passphraseFile, 'utf8').replace(/\r?\n$/, '');
    } else {
      passphrase = (opts.env ?? process.env)[ENV.KEY_PASSPHRASE];
    }
    if (passphrase === undefined) {
      throw new WaymarkError('WAYMARK_ERR_CONFIG_INVALID', `${keyFile} is an encrypted keystore: set chain.passphraseFile or $${ENV.KEY_PASSPHRASE}`);
    }
    try {
      const wallet = await Wallet.fromEncryptedJson(text, passphrase);
      return { privateKey: wallet.privateKey, address: wallet.address, format: 'keystore', warnings };
    } catch (err) {
      throw new WaymarkError('WAYMARK_ERR_CONFIG_INVALID', `cannot decrypt keystore ${keyFile}: ${(err as Error).message}`, { cause: err });
    }
  }
  const hex = text.startsWith('0x') ? text : `0x${text}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) {
    throw new WaymarkError('WAYMARK_ERR_CONFIG_INVALID', `${keyFile} is neither a JSON keystore nor a 32-byte hex private key`);
  }
  if (process.platform !== 'win32' && (statSync(keyFile).mode & 0o077) !== 0) {
    warnings.push(`${keyFile} holds a plain private key and is readable by group or others (chmod 600 it)`);
  }
  const wallet = new Wallet(hex);
  return { privateKey: wallet.privateKey, address: wallet.address, format: 'hex', warnings };
}
