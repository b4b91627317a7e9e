/**
 * A real pseudo-terminal pair for the simulated co-processor: the device end (/dev/pts/N) is
 * what the kiosk opens with serialport; this process holds the far end. Node cannot open a pty
 * itself, so util-linux `script` (Debian's essential bsdutils package) allocates it.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { lstatSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { WaymarkError } from '../core/errors.js';
import { TypedEmitter } from '../core/events.js';

export interface PseudoTerminalOptions {
  /** Also make a symlink here to the device end, as socat's `link=` does (replaced if it exists). */
  link?: string;
  /** How long to wait for `script` to report the device, ms. Default 5000. */
  startTimeoutMs?: number;
}

export type PseudoTerminalEvents = {
  /** Bytes the kiosk wrote to the device end. */
  data: (bytes: Buffer) => void;
  /** The far end is gone (closed, or `script` died). */
  close: () => void;
};

/**
 * `script -q -c CMD /dev/null` runs CMD on a new pty and relays the pty master to its own
 * stdin/stdout. CMD puts the line in raw mode (no echo, no newline translation) before the
 * kiosk can open it, prints the device name, and then holds the device end open without
 * reading it (an unheld pty would hang up at once).
 */
const HOLDER = 'stty raw -echo && tty && exec sleep 2147483647';

export class PseudoTerminal extends TypedEmitter<PseudoTerminalEvents> {
  readonly path: string;
  readonly link: string | undefined;
  readonly #child: ChildProcessByStdio<Writable, Readable, Readable>;
  #closed = false;
  readonly #exited: Promise<void>;

  private constructor(child: ChildProcessByStdio<Writable, Readable, Readable>, path: string, link: string | undefined, exited: Promise<void>) {
    super();
    this.#child = child;
    this.path = path;
    this.link = link;
    this.#exited = exited;
  }

  /** Allocate a pty pair; rejects with RADIO_UNAVAILABLE if `script` is missing or fails. */
  static async open(options: PseudoTerminalOptions = {}): Promise<PseudoTerminal> {
    const child = spawn('script', ['-q', '-c', HOLDER, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SHELL: '/bin/sh' } });
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const path = await new Promise<string>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const fail = (why: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `cannot make a pseudo-terminal with util-linux script: ${why}`, { details: { stderr: stderr.trim() } }));
      };
      const timer = setTimeout(() => fail('no device name within the time limit'), options.startTimeoutMs ?? 5000);
      child.once('error', (err) => fail(err.message));
      child.once('exit', (code) => fail(`script exited (${code}) ${stderr.trim()}`));
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const m = /(\/dev\/[^\r\n]+)\r?\n/.exec(head.toString('latin1'));
        if (!m) return;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.removeAllListeners('exit');
        child.removeAllListeners('error');
        const rest = head.subarray(m.index + m[0].length);
        if (rest.length > 0) child.stdout.unshift(rest);
        resolve(m[1]!);
      };
      child.stdout.on('data', onData);
    });
    if (options.link) pointLink(options.link, path);
    const pty = new PseudoTerminal(child, path, options.link, exited);
    child.stdout.on('data', (chunk: Buffer) => pty.emit('data', chunk));
    child.stdin.on('error', () => undefined); // EPIPE after the far end went away
    child.once('close', () => pty.#onGone());
    return pty;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes to the kiosk. Dropped once closed, as bytes on a pulled cable are. */
  write(bytes: Uint8Array): void {
    if (this.#closed) return;
    this.#child.stdin.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  /** Close the far end: the kiosk's reads fail as on an unplug. The symlink, if any, stays (dangling). */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#child.kill('SIGTERM');
    }
    await this.#exited;
  }

  #onGone(): void {
    this.#closed = true;
    this.emit('close');
  }
}

/** Make (or atomically replace) `link` as a symlink to `target`. */
export function pointLink(link: string, target: string): void {
  try {
    if (!lstatSync(link).isSymbolicLink()) {
      throw new WaymarkError('WAYMARK_ERR_USAGE', `${link} exists and is not a symlink; refusing to replace it`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const temp = join(dirname(link), `.${basename(link)}.${process.pid}.tmp`);
  rmSync(temp, { force: true });
  symlinkSync(target, temp);
  renameSync(temp, link);
}
