/**
 * Key files for kiosks and operators: an ethers JSON keystore (scrypt) or a plain hex key,
 * always written 0600 and atomically; the passphrase comes from a file, the environment or
 * a non-echoing terminal prompt. Nothing here ever prints or logs a secret.
 */
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, basename, join } from 'node:path';
import { Wallet, SigningKey, computeAddress, getAddress, isHexString, type BaseWallet } from 'ethers';
import { WaymarkError, isWaymarkError } from '../core/errors.js';

export const MIN_PASSPHRASE_LENGTH = 8;
export const KEY_FILE_MODE = 0o600;

export interface PassphraseSource {
  /** A file holding the passphrase (one trailing newline is ignored). */
  file?: string;
  env: NodeJS.ProcessEnv;
  /** The environment variable to read, e.g. WAYMARK_KEY_PASSPHRASE. */
  envName: string;
  /** Ask on the terminal when neither gives one; default: only when stdin is a TTY. */
  prompt?: ((question: string) => Promise<string>) | false;
  /** What the passphrase unlocks, for messages ("kiosk keystore"). */
  label: string;
}

/** The passphrase from the first source that has one; WAYMARK_ERR_KEY_PASSPHRASE when none does. */
export async function resolvePassphrase(src: PassphraseSource, opts: { confirm?: boolean; minLength?: number } = {}): Promise<string> {
  let passphrase: string | undefined;
  if (src.file !== undefined) {
    if (!existsSync(src.file)) throw new WaymarkError('WAYMARK_ERR_KEY_NOT_FOUND', `passphrase file ${src.file}`, { details: { file: src.file } });
    passphrase = readFileSync(src.file, 'utf8').replace(/\r?\n$/, '');
  } else if (src.env[src.envName]) {
    passphrase = src.env[src.envName];
  } else {
    const prompt = src.prompt === undefined ? (process.stdin.isTTY ? promptHidden : undefined) : src.prompt || undefined;
    if (!prompt) {
      throw new WaymarkError('WAYMARK_ERR_KEY_PASSPHRASE', `no passphrase for the ${src.label}: pass --passphrase-file FILE or set ${src.envName} (no terminal to ask on)`, {
        details: { reason: 'missing' },
      });
    }
    passphrase = await prompt(`Passphrase for the ${src.label}: `);
    if (opts.confirm && (await prompt('Repeat the passphrase: ')) !== passphrase) {
      throw new WaymarkError('WAYMARK_ERR_KEY_PASSPHRASE', 'the two passphrases differ', { details: { reason: 'mismatch' } });
    }
  }
  if (!passphrase) throw new WaymarkError('WAYMARK_ERR_KEY_PASSPHRASE', `the passphrase for the ${src.label} is empty`, { details: { reason: 'empty' } });
  if (opts.minLength !== undefined && passphrase.length < opts.minLength) {
    throw new WaymarkError('WAYMARK_ERR_KEY_PASSPHRASE', `a new ${src.label} needs a passphrase of at least ${opts.minLength} characters`, { details: { reason: 'short' } });
  }
  return passphrase;
}

/** Reads a line from the terminal without echoing it (raw mode); Ctrl-C aborts. */
export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.reject(new WaymarkError('WAYMARK_ERR_KEY_PASSPHRASE', 'stdin is not a terminal', { details: { reason: 'missing' } }));
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let typed = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new WaymarkError('WAYMARK_ERR_USAGE', 'passphrase prompt cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.on('data', onData);
  });
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
 * Opens a key file: a hex key as is, a keystore with the passphrase from `passphrase`
 * (asked for only when needed). A wrong passphrase is WAYMARK_ERR_KEY_PASSPHRASE.
 */
export async function readKeyFile(path: string, passphrase: PassphraseSource | (() => Promise<string>)): Promise<BaseWallet> {
  const text = readKeyText(path);
  if (!isKeystoreText(text)) return new Wallet(parsePlainKey(text, path));
  const secret = typeof passphrase === 'function' ? await passphrase() : await resolvePassphrase(passphrase);
  try {
    return await Wallet.fromEncryptedJson(text, secret);
  } catch (err) {
    if (isWaymarkError(err)) throw err;
    const e = err as { code?: string; shortMessage?: string; message?: string };
    if (e.shortMessage === 'incorrect password') {
      throw new WaymarkError('WAYMARK_ERR_KEY_PASSPHRASE', `wrong passphrase for ${path}`, { details: { file: path, reason: 'wrong' } });
    }
    throw new WaymarkError('WAYMARK_ERR_KEY_INVALID', `${path}: ${e.shortMessage ?? e.message ?? String(err)}`, { details: { file: path } });
  }
}

/** Writes `text` to `path` with mode 0600 through a temp file and a rename (never half a key). */
export function writeSecretFile(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', KEY_FILE_MODE);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, KEY_FILE_MODE); // the umask may have taken bits away, never added; make it exact
  renameSync(tmp, path);
}

/** Encrypts the wallet into an ethers JSON keystore (scrypt) at `path`, 0600. */
export async function writeKeystore(path: string, wallet: BaseWallet, passphrase: string): Promise<void> {
  const json = await new Wallet(wallet.privateKey).encrypt(passphrase);
  writeSecretFile(path, json + '\n');
}

/** Writes the private key as hex at `path`, 0600. */
export function writePlainKey(path: string, wallet: BaseWallet): void {
  writeSecretFile(path, wallet.privateKey + '\n');
}

/** The key's permission bits, e.g. 0o600. */
export function fileMode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** Overwrites a key file with random bytes, syncs, then unlinks it (best effort on flash storage). */
export function wipeFile(path: string): void {
  if (!existsSync(path)) return;
  const size = statSync(path).size;
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, randomBytes(Math.max(size, 1)), 0, Math.max(size, 1), 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  unlinkSync(path);
}

/** The uncompressed secp256k1 public key of a wallet, 0x04... */
export function publicKeyOf(wallet: BaseWallet): string {
  return SigningKey.computePublicKey(wallet.privateKey, false);
}
