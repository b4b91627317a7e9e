/**
 * Files only the kiosk's own user may read: the data dir (0700), the SQLite store with its
 * WAL and shared-memory files, and key, passphrase and token files (0600). The store holds
 * the daily address salts, so a readable copy would let anyone re-identify addresses.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { WaymarkError } from './errors.js';

const LOOSE = 0o077;

/** Creates the directory 0700 (whatever the umask) when missing; an existing one is left as it is. */
export function ensurePrivateDir(path: string): void {
  if (existsSync(path)) return;
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
}

/** Creates an empty file 0600 if it does not exist yet (so files made next to it, e.g. SQLite's WAL, inherit the mode). */
export function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
    chmodSync(path, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** Sets 0600 on each file that exists. */
export function restrictFiles(...paths: string[]): void {
  for (const p of paths) if (existsSync(p)) chmodSync(p, 0o600);
}

/**
 * Throws WAYMARK_ERR_FILE_PERMISSIONS when an existing file is readable or writable by group
 * or others, with the command that fixes it. `what` names the file for the message.
 */
export function assertPrivateFile(path: string, what: string): void {
  if (process.platform === 'win32' || !existsSync(path)) return;
  const mode = statSync(path).mode & 0o777;
  if ((mode & LOOSE) !== 0) {
    throw new WaymarkError('WAYMARK_ERR_FILE_PERMISSIONS', `${what} ${path} is mode ${mode.toString(8).padStart(4, '0')}, open to group or others; fix it with: chmod 600 ${path}`, {
      details: { path, mode: mode.toString(8) },
    });
  }
}
