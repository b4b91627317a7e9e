/**
 * `waymark … | head`: when the reader closes the pipe, the command ends quietly (no EPIPE
 * crash, no stack trace) instead of dying on the next write.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cliProcess, REPO } from '../helpers/cli.js';

const WAYMARK = `${JSON.stringify(process.execPath)} --import tsx cli/waymark.ts`;
const CRASH = /EPIPE|Unhandled|^\s+at /m;

t.test('replay --sessions into a reader that goes away after the first line', async (t) => {
  const dir = t.testdir({});
  const capture = join(dir, 'venue.btsnoop');
  const demo = await cliProcess(['demo', '--capture', capture, '--duration', '3', '--speed', '30', '--json', '--no-chain', '--port', '0']);
  t.equal(demo.code, 0, 'the demo wrote a capture', { stderr: demo.stderr });

  await t.test('the reader closes its end after the first chunk', async (t) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/waymark.ts', 'replay', capture, '--sessions'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => child.kill('SIGKILL'));
    let first = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.once('data', (d) => {
      first = String(d).split('\n')[0]!;
      child.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    t.match(JSON.parse(first), { addressHash: /^[0-9a-f]{32}$/ }, 'the reader got a session line');
    t.equal(code, 0, 'exit 0');
    t.notMatch(stderr, CRASH, 'no EPIPE crash or stack trace');
  });

  await t.test('a shell pipeline into head -1', async (t) => {
    const r = spawnSync('bash', ['-c', `set -o pipefail; ${WAYMARK} replay ${JSON.stringify(capture)} --sessions | head -1`], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    t.equal(r.stdout.trim().split('\n').length, 1);
    t.equal(r.status, 0, 'the pipeline (replay included) exits 0');
    t.notMatch(r.stderr, CRASH);
  });
});

t.test('provision doctor | head -1 keeps its verdict and does not crash', async (t) => {
  const r = spawnSync('bash', ['-c', `${WAYMARK} provision doctor --config /nonexistent/config.json | head -1; exit \${PIPESTATUS[0]}`], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  t.match(r.stdout, /^FAIL {2}config/);
  t.equal(r.status, 1, 'exit 1: a check failed');
  t.notMatch(r.stderr, CRASH);
});
