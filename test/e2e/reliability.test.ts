/**
 * A short pass of the reliability harness (bench/reliability.ts): a kiosk under check-in load
 * is killed with SIGKILL three times while its chain node is down for a few seconds; every
 * acknowledged attestation must end up anchored, with no duplicate or skipped batch seq.
 * The long runs are `npm run reliability -- --kills 50` (README, "Reliability").
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { REPO } from '../helpers/cli.js';

function harness(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/reliability.ts', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    t.teardown(() => void child.kill('SIGINT'));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('kills and a chain outage lose no acknowledged check-in', async (t) => {
  const run = await harness(['--scenario', 'outage', '--kills', '3', '--outage-s', '3', '--up-s', '2', '--rate', '5', '--drain-timeout-s', '60', '--seed', 'e2e', '--json']);
  const lines = run.stdout.trim().split('\n');
  t.equal(lines.length, 1, 'with --json only the JSON line is on stdout');
  let result: any;
  t.doesNotThrow(() => (result = JSON.parse(lines[0]!)), 'it is JSON');
  if (run.code !== 0) t.comment(run.stderr.slice(-4000));
  t.equal(run.code, 0, 'the harness passes');
  t.match(result, { scenario: 'outage', kills: 3, outageS: 3, lost: 0, duplicateSeqs: 0, skippedSeqs: 0, unanchoredBatches: 0, invalidAttestations: 0, cleanStop: true });
  t.ok(result.acknowledged > 0, `${result.acknowledged} check-ins were acknowledged`);
  t.ok(result.batches > 0, `${result.batches} batches were committed`);
  t.match(run.stderr, /kill 3\/3: SIGKILL/, 'progress goes to stderr');
});
