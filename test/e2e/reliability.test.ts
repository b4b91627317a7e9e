/**
 * Short passes of the reliability harness (bench/reliability.ts): a kiosk under check-in load
 * is killed with SIGKILL three times while its chain node is down for a few seconds; another
 * one's chain is reorged twice, each time as deep as its confirmations or deeper, the
 * transactions gone. Every acknowledged attestation must end up anchored, with no duplicate
 * or skipped batch seq. The two run side by side (each mostly waits). The long runs are
 * `npm run reliability -- --kills 50` and `-- --scenario reorg --reorgs 6` (README, "Reliability").
 */
import t, { type Test } from 'tap';
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

function parse(t: Test, run: { code: number | null; stdout: string; stderr: string }): any {
  const lines = run.stdout.trim().split('\n');
  t.equal(lines.length, 1, 'with --json only the JSON line is on stdout');
  let result: any;
  t.doesNotThrow(() => (result = JSON.parse(lines[0]!)), 'it is JSON');
  if (run.code !== 0) t.comment(run.stderr.slice(-4000));
  t.equal(run.code, 0, 'the harness passes');
  return result;
}

const outage = harness(['--scenario', 'outage', '--kills', '3', '--outage-s', '3', '--up-s', '2', '--rate', '5', '--drain-timeout-s', '60', '--seed', 'e2e', '--json']);
// seed 6: a 2-block then a 3-block reorg, their transactions gone (with 2 confirmations both can take a confirmed batch)
const reorg = harness(['--scenario', 'reorg', '--reorgs', '2', '--rate', '5', '--drain-timeout-s', '60', '--seed', '6', '--json']);

t.test('kills and a chain outage lose no acknowledged check-in', async (t) => {
  const run = await outage;
  const result = parse(t, run);
  t.match(result, { scenario: 'outage', kills: 3, outageS: 3, lost: 0, duplicateSeqs: 0, skippedSeqs: 0, unanchoredBatches: 0, invalidAttestations: 0, cleanStop: true });
  t.ok(result.acknowledged > 0, `${result.acknowledged} check-ins were acknowledged`);
  t.ok(result.batches > 0, `${result.batches} batches were committed`);
  t.match(run.stderr, /kill 3\/3: SIGKILL/, 'progress goes to stderr');
});

t.test('reorgs deeper than the confirmations lose no acknowledged check-in', async (t) => {
  const result = parse(t, await reorg);
  t.match(result, { scenario: 'reorg', reorgs: 2, lost: 0, duplicateSeqs: 0, skippedSeqs: 0, unanchoredBatches: 0, invalidAttestations: 0, cleanStop: true });
  t.ok(result.acknowledged > 0, `${result.acknowledged} check-ins were acknowledged`);
  t.ok(result.batches > 0, `${result.batches} batches were committed`);
});
