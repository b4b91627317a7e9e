/**
 * Starts a local anvil node (the binary from the @foundry-rs/anvil npm package) on a
 * loopback port for tests, the bench and demo mode, and stops it again; with `stateFile`
 * the chain is dumped on stop and loaded on the next start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { WaymarkError } from '../core/errors.js';

const require = createRequire(import.meta.url);

/** Anvil's default dev accounts (mnemonic "test test ... junk"), first ten private keys. */
export const ANVIL_DEV_KEYS: readonly string[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
];

export interface StartAnvilOptions {
  /** 0 (the default) lets the OS pick a free loopback port. */
  port?: number;
  /** Load the chain from this file if it exists and dump it there on stop. */
  stateFile?: string;
  /** Seconds between blocks; unset = a block per transaction (automine). */
  blockTime?: number;
  chainId?: number;
  /** Dev accounts to create (anvil's default is 10). */
  accounts?: number;
  /** Block gas limit. */
  gasLimit?: bigint;
  /** Milliseconds to wait for the RPC to answer (default 20 s). */
  timeoutMs?: number;
  /** Path of the anvil binary; default: the platform package of @foundry-rs/anvil. */
  binary?: string;
}

export interface AnvilNode {
  rpcUrl: string;
  port: number;
  /** Private keys of the first ten dev accounts, each funded with 10,000 ETH. */
  accounts: readonly string[];
  /** Stops anvil (SIGTERM, which dumps the state file if one is set) and waits for exit. */
  stop(): Promise<void>;
}

/** The native anvil binary shipped by @foundry-rs/anvil's platform package. */
export function anvilBinaryPath(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  const exe = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  try {
    const path = join(dirname(require.resolve(`${pkg}/package.json`)), 'bin', exe);
    if (existsSync(path)) return path;
  } catch {
    // fall through
  }
  throw new WaymarkError('WAYMARK_ERR_CHAIN_UNAVAILABLE', `no anvil binary for ${process.platform}/${process.arch} (package ${pkg})`);
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // SIGTERM, not SIGKILL: anvil still dumps its state file after we are gone.
  process.once('exit', () => {
    for (const child of live) child.kill('SIGTERM');
  });
}

async function rpcAnswers(rpcUrl: string): Promise<boolean> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    });
    return res.ok;
  } catch {
    return false;
  }
}

export async function startAnvil(opts: StartAnvilOptions = {}): Promise<AnvilNode> {
  const args = ['--host', '127.0.0.1', '--port', String(opts.port ?? 0)];
  if (opts.stateFile) args.push('--state', opts.stateFile);
  if (opts.blockTime !== undefined) args.push('--block-time', String(opts.blockTime));
  if (opts.chainId !== undefined) args.push('--chain-id', String(opts.chainId));
  if (opts.accounts !== undefined) args.push('--accounts', String(opts.accounts));
  if (opts.gasLimit !== undefined) args.push('--gas-limit', String(opts.gasLimit));

  const child = spawn(opts.binary ?? anvilBinaryPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  installExitHook();
  const exited = new Promise<void>((resolve) => child.once('exit', () => { live.delete(child); resolve(); }));

  let output = '';
  let onError: (err: Error) => void = () => {};
  let onEarlyExit: (code: number | null) => void = () => {};
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(`anvil did not report its port within ${opts.timeoutMs ?? 20_000} ms`), opts.timeoutMs ?? 20_000);
    function fail(why: string): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new WaymarkError('WAYMARK_ERR_CHAIN_UNAVAILABLE', why, { details: { output: output.slice(-2000) } }));
    }
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    onError = (err: Error) => fail(`cannot run anvil: ${err.message}`);
    onEarlyExit = (code: number | null) => fail(`anvil exited with code ${code}`);
    child.once('error', onError);
    child.once('exit', onEarlyExit);
  });
  // Keep draining the pipes so a chatty node never blocks on a full buffer.
  child.stdout!.removeAllListeners('data').resume();
  child.stderr!.removeAllListeners('data').resume();
  child.off('error', onError);
  child.off('exit', onEarlyExit);
  child.on('error', () => {}); // a failed kill() must not crash the process
  // A node nobody stopped must not keep the process alive; the exit hook still stops it.
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();

  const rpcUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  while (!(await rpcAnswers(rpcUrl))) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new WaymarkError('WAYMARK_ERR_CHAIN_UNAVAILABLE', `anvil at ${rpcUrl} did not answer`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  let stopping: Promise<void> | undefined;
  return {
    rpcUrl,
    port,
    accounts: ANVIL_DEV_KEYS,
    stop(): Promise<void> {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
