/**
 * Reading the kiosk's chain identity (and any Waymark key file of the same formats): an
 * ethers JSON keystore, decrypted with a passphrase from a file, the environment or an
 * optional prompt, or a plain file holding one hex private key. The one loader for the
 * daemon and provisioning alike, so the same file fails with the same code everywhere.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { Wallet, computeAddress, getAddress, isHexString } from 'ethers';
import { WaymarkError, isWaymarkError } from '../core/errors.js';
import { ENV } from '../core/paths.js';
import { kioskFiles } from '../core/data-dir.js';

export interface KioskKey {
  privateKey: string;
  address: string;
  format: 'keystore' | 'hex';
  /** E.g. a hex key file readable by group or others. */
  warnings: string[];
}

/** Asks for a passphrase (provisioning passes a non-echoing terminal prompt; the daemon none). */
export type PassphrasePrompt = (question: string) => Promise<string>;

/** Where a keystore's passphrase comes from, first match wins: file, environment, prompt. */
export interface PassphraseOptions {
  /** A file holding the passphrase (one trailing newline is ignored): chain.passphraseFile, --passphrase-file. */
  passphraseFile?: string;
  /** Where the variable is read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The variable holding the passphrase; default WAYMARK_KEY_PASSPHRASE. */
  envName?: string;
  /** Asked when neither the file nor the environment has one; absent or false: never ask. */
  prompt?: PassphrasePrompt | false;
  /** What the passphrase unlocks, for messages; default "kiosk keystore". */
  label?: string;
  /** How to name a passphrase file in the missing-passphrase message; default "--passphrase-file or chain.passphraseFile". */
  fileHint?: string;
}

export interface LoadKioskKeyOptions extends PassphraseOptions {
  keyFile: string;
}

/** Where a config's kiosk key lives: chain.keyFile, else the keystore in the data dir. */
export function kioskKeyFile(config: { dataDir: string; chain: { keyFile?: string } }): string {
  return config.chain.keyFile ?? kioskFiles(config.dataDir).keystore;
}

/**
 * The passphrase from the first source that has one. WAYMARK_ERR_KEY_NOT_FOUND for a named
 * passphrase file that is missing; WAYMARK_ERR_KEY_PASSPHRASE when there is none, it is
 * empty, the confirmation differs or it is shorter than `minLength`.
 */
export async function resolvePassphrase(src: PassphraseOptions, opts: { confirm?: boolean; minLength?: number } = {}): Promise<string> {
  const label = src.label ?? 'kiosk keystore';
  const envName = src.envName ?? ENV.KEY_PASSPHRASE;
  const env = src.env ?? process.env;
  let passphrase: string | undefined;
  if (src.passphraseFile !== undefined) {
    const file = src.passphraseFile;
    if (!existsSync(file)) throw new WaymarkError('WAYMARK_ERR_KEY_NOT_FOUND', `passphrase file ${file}`, { details: { file } });
    passphrase = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } else if (env[envName]) {
    passphrase = env[envName];
  } else {
    if (!src.prompt) {
      const fileHint = src.fileHint ?? '--passphrase-file or chain.passphraseFile';
      throw new WaymarkError('WAYMARK_ERR_KEY_PASSPHRASE', `no passphrase for the ${label}: name a passphrase file (${fileHint}) or set ${envName} (no terminal to ask on)`, {
        details: { reason: 'missing' },
      });
    }
    passphrase = await src.prompt(`Passphrase for the ${label}: `);
    if (opts.confirm && (await src.prompt('Repeat the passphrase: ')) !== passphrase) {
      throw new WaymarkError('WAYMARK_ERR_KEY_PASSPHRASE', 'the two passphrases differ', { details: { reason: 'mismatch' } });
    }
  }
  if (!passphrase) throw new WaymarkError('WAYMARK_ERR_KEY_PASSPHRASE', `the passphrase for the ${label} is empty`, { details: { reason: 'empty' } });
  if (opts.minLength !== undefined && passphrase.length < opts.minLength) {
    throw new WaymarkError('WAYMARK_ERR_KEY_PASSPHRASE', `a new ${label} needs a passphrase of at least ${opts.minLength} characters`, { details: { reason: 'short' } });
  }
  return passphrase;
}

/** True when the file holds a JSON keystore (rather than a hex key). */
export function isKeystoreText(text: string): boolean {
  return text.trimStart().startsWith('{');
}

function readKeyText(path: string): string {
  if (!existsSync(path)) throw new WaymarkError('WAYMARK_ERR_KEY_NOT_FOUND', path, { details: { file: path } });
  return readFileSync(path, 'utf8');
}

function parsePlainKey(text: string, path: string): string {
  const hex = text.trim();
  const key = hex.startsWith('0x') ? hex : `0x${hex}`;
  if (!isHexString(key, 32)) throw new WaymarkError('WAYMARK_ERR_KEY_INVALID', `${path} is neither a JSON keystore nor a 32-byte hex private key`, { details: { file: path } });
  return key;
}

/** The address a key file belongs to, without its passphrase (keystores carry it in clear). */
export function keyFileAddress(path: string): string {
  const text = readKeyText(path);
  if (!isKeystoreText(text)) return computeAddress(parsePlainKey(text, path));
  try {
    const address = (JSON.parse(text) as { address?: unknown }).address;
    if (typeof address === 'string') return getAddress(address.startsWith('0x') ? address : `0x${address}`);
  } catch {
    // fall through
  }
  throw new WaymarkError('WAYMARK_ERR_KEY_INVALID', `${path} is not a JSON keystore with an address`, { details: { file: path } });
}

/**
 * Opens a key file: a hex key as is (with a warning when group or others may read it), a
 * keystore with the passphrase from `opts` (asked for only when needed). Codes:
 * WAYMARK_ERR_KEY_NOT_FOUND (key or passphrase file missing), WAYMARK_ERR_KEY_INVALID (not a
 * key, or a damaged keystore), WAYMARK_ERR_KEY_PASSPHRASE (no passphrase, or a wrong one).
 */
export async function loadKioskKey(opts: LoadKioskKeyOptions): Promise<KioskKey> {
  const { keyFile } = opts;
  const text = readKeyText(keyFile);
  const warnings: string[] = [];
  if (!isKeystoreText(text)) {
    const wallet = new Wallet(parsePlainKey(text, keyFile));
    if (process.platform !== 'win32' && (statSync(keyFile).mode & 0o077) !== 0) {
      warnings.push(`${keyFile} holds a plain private key and is readable by group or others (chmod 600 it)`);
    }
    return { privateKey: wallet.privateKey, address: wallet.address, format: 'hex', warnings };
  }
  const secret = await resolvePassphrase(opts);
  try {
    const wallet = await Wallet.fromEncryptedJson(text, secret);
    return { privateKey: wallet.privateKey, address: wallet.address, format: 'keystore', warnings };
  } catch (err) {
    if (isWaymarkError(err)) throw err;
    const e = err as { shortMessage?: string; message?: string };
    if (e.shortMessage === 'incorrect password') {
      throw new WaymarkError('WAYMARK_ERR_KEY_PASSPHRASE', `wrong passphrase for ${keyFile}`, { details: { file: keyFile, reason: 'wrong' } });
    }
    throw new WaymarkError('WAYMARK_ERR_KEY_INVALID', `${keyFile}: ${e.shortMessage ?? e.message ?? String(err)}`, { details: { file: keyFile }, cause: err });
  }
}
