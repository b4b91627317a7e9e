/**
 * Key files for kiosks and operators, provisioning's side: writing them (an ethers JSON
 * keystore (scrypt) or a plain hex key, always 0600 and atomically), wiping them, and
 * opening them through contracts/kiosk-key.ts (the loader the daemon uses too) with a
 * non-echoing terminal prompt as the last passphrase source. Nothing here prints a secret.
 */
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, basename, join } from 'node:path';
import { Wallet, SigningKey, type BaseWallet } from 'ethers';
import { WaymarkError } from '../core/errors.js';
import { loadKioskKey, resolvePassphrase as resolveKeyPassphrase, type PassphraseOptions, type PassphrasePrompt } from '../contracts/kiosk-key.js';

export const MIN_PASSPHRASE_LENGTH = 8;
export const KEY_FILE_MODE = 0o600;

export interface PassphraseSource {
  /** A file holding the passphrase (one trailing newline is ignored). */
  file?: string;
  env: NodeJS.ProcessEnv;
  /** The environment variable to read, e.g. WAYMARK_KEY_PASSPHRASE. */
  envName: string;
  /** Ask on the terminal when neither gives one; default: only when stdin is a TTY. */
  prompt?: PassphrasePrompt | false;
  /** What the passphrase unlocks, for messages ("kiosk keystore"). */
  label: string;
  /** How to name the passphrase file in messages, e.g. "--operator-passphrase-file". */
  fileHint?: string;
}

/** The loader's passphrase options for a source: the terminal prompt unless told otherwise. */
function loaderOptions(src: PassphraseSource): PassphraseOptions {
  const prompt = src.prompt === undefined ? (process.stdin.isTTY ? promptHidden : false) : src.prompt;
  return { passphraseFile: src.file, env: src.env, envName: src.envName, label: src.label, fileHint: src.fileHint, prompt };
}

/** The passphrase from the first source that has one; WAYMARK_ERR_KEY_PASSPHRASE when none does. */
export function resolvePassphrase(src: PassphraseSource, opts: { confirm?: boolean; minLength?: number } = {}): Promise<string> {
  return resolveKeyPassphrase(loaderOptions(src), opts);
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

/**
 * Opens a key file with contracts/kiosk-key.ts: a hex key as is, a keystore with the
 * passphrase from `passphrase` (a source, or a prompt asked only when needed). A wrong
 * passphrase is WAYMARK_ERR_KEY_PASSPHRASE, as it is for the daemon.
 */
export async function readKeyFile(path: string, passphrase: PassphraseSource | PassphrasePrompt): Promise<BaseWallet> {
  const opts: PassphraseOptions = typeof passphrase === 'function' ? { env: {}, prompt: passphrase } : loaderOptions(passphrase);
  return new Wallet((await loadKioskKey({ keyFile: path, ...opts })).privateKey);
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
