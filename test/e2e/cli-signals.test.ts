/**
 * Stopping `waymark demo` the ways a user does: Ctrl-C (SIGINT, from a terminal also
 * forwarded by npm), SIGTERM, and `npm start`. Each must stop cleanly within 5 s: exit 0,
 * the summary printed, the temporary data dir removed, the embedded chain stopped.
 */
import t, { type Test } from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { REPO } from '../helpers/cli.js';

const STOP_BUDGET_MS = 5_000;
const DEMO_FLAGS = ['--port', '0', '--speed', '30'];

interface RunningDemo {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  dataDir: string;
  rpcUrl?: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Starts the program in its own process group (so a test can signal it as a terminal would) and waits for its banner. */
async function startDemo(t: Test, command: string, args: string[]): Promise<RunningDemo> {
  const child = spawn(command, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, WAYMARK_LOG_LEVEL: 'error' } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  const started = Date.now();
  while (!stdout.includes('Ctrl-C to stop.')) {
    if (child.exitCode !== null || Date.now() - started > 120_000) throw new Error(`the demo did not start\n${stdout}\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const dataDir = /data dir: +(\S+) \(temporary\)/.exec(stdout)?.[1];
  if (!dataDir) throw new Error(`no temporary data dir in the banner:\n${stdout}`);
  const rpcUrl = /chain: +(http:\/\/\S+)/.exec(stdout)?.[1];
  return { child, stdout: () => stdout, stderr: () => stderr, dataDir, rpcUrl, exited };
}

function waymark(...args: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', 'cli/waymark.ts', 'demo', ...DEMO_FLAGS, ...args]];
}

/** Sends the signal(s), then checks the clean stop. */
async function stopsCleanly(t: Test, demo: RunningDemo, send: () => void): Promise<void> {
  t.ok(existsSync(demo.dataDir), 'the temporary data dir exists while the demo runs');
  const sent = Date.now();
  send();
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_BUDGET_MS + 5_000).unref());
  const end = await Promise.race([demo.exited, timeout]);
  if (end === 'timeout') {
    t.fail(`still running ${STOP_BUDGET_MS + 5_000} ms after the signal\n${demo.stderr()}`);
    return;
  }
  t.ok(end.at - sent < STOP_BUDGET_MS, `stopped in ${end.at - sent} ms`);
  t.same({ code: end.code, signal: end.signal }, { code: 0, signal: null }, 'exit code 0', { stderr: demo.stderr() });
  t.match(demo.stdout(), /\nSummary:\n {2}radio/, 'the summary was printed');
  t.notOk(existsSync(demo.dataDir), `the temporary data dir ${demo.dataDir} was removed`);
  t.notMatch(demo.stderr(), /EPIPE|Unhandled|^\s+at /m, 'no crash or stack trace on stderr');
  if (demo.rpcUrl) {
    const answered = await fetch(demo.rpcUrl, { method: 'POST', body: '{}' }).then(() => true, () => false);
    t.notOk(answered, 'the embedded anvil was stopped');
  }
}

t.test('SIGINT (Ctrl-C) stops the demo cleanly', async (t) => {
  const demo = await startDemo(t, ...waymark('--no-chain'));
  await stopsCleanly(t, demo, () => demo.child.kill('SIGINT'));
});

t.test('SIGTERM stops the demo cleanly', async (t) => {
  const demo = await startDemo(t, ...waymark('--no-chain'));
  await stopsCleanly(t, demo, () => demo.child.kill('SIGTERM'));
});

t.test('SIGINT stops the demo and its embedded chain cleanly', async (t) => {
  const demo = await startDemo(t, ...waymark());
  t.ok(demo.rpcUrl, 'the demo runs an embedded chain');
  await stopsCleanly(t, demo, () => demo.child.kill('SIGINT'));
});

t.test("one Ctrl-C delivered twice (the terminal's and npm's forwarded copy) is one stop, not a forced exit", async (t) => {
  const demo = await startDemo(t, ...waymark('--no-chain'));
  await stopsCleanly(t, demo, () => {
    process.kill(-demo.child.pid!, 'SIGINT');
    setTimeout(() => demo.child.kill('SIGINT'), 20);
  });
});

t.test('npm start (with its embedded chain): Ctrl-C on the whole process group, npm exits 0 too', async (t) => {
  t.equal(spawnSync('npm', ['--version'], { encoding: 'utf8' }).status, 0, 'npm is on the PATH');
  const demo = await startDemo(t, 'npm', ['start', '--', ...DEMO_FLAGS]);
  t.ok(demo.rpcUrl, 'the demo runs an embedded chain');
  await stopsCleanly(t, demo, () => process.kill(-demo.child.pid!, 'SIGINT'));
});
