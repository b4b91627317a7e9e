/** Test helper: `waymark fleet serve` as a child process on a free port, and JSON fetches from it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface FleetServer { url: string; log: () => string; running: () => boolean; stop(): Promise<void> }

export async function startFleetServer(opts: { rpc: string; registry: string; databaseUrl?: string; schema?: string; extra?: string[] }): Promise<FleetServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'waymark-fleet-'));
  const env = { ...process.env, DATABASE_URL: opts.databaseUrl ?? '' };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'cli/waymark.ts', 'fleet', 'serve', '--rpc', opts.rpc, '--registry', opts.registry,
    '--port', String(port), '--data-dir', join(dataDir, 'pglite'), '--polling-ms', '200', '--schema', opts.schema ?? 'waymark_fleet_test', ...(opts.extra ?? [])], {
    cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => { out = (out + d).slice(-20_000); });
  child.stderr!.on('data', (d) => { out = (out + d).slice(-20_000); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url: `http://127.0.0.1:${port}`,
    log: () => out,
    running: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `url` until `ok(body)` holds (or the deadline passes, then throws with the last body). */
export async function waitForJson<T>(url: string, ok: (body: T) => boolean, timeoutMs: number, alive: () => boolean = () => true): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) {
        last = await res.json();
        if (ok(last as T)) return last as T;
      } else last = res.status;
    } catch (err) {
      last = (err as Error).message;
    }
    if (!alive()) throw new Error(`the server exited; last: ${JSON.stringify(last)?.slice(0, 500)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting on ${url}; last: ${JSON.stringify(last)?.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
