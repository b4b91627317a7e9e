/**
 * The demo closes the exposure loop on its embedded anvil: partway through, the simulated
 * region authority reports an exposure covering the recent check-ins, the kiosk shows its
 * venue Infected, the simulated operator cleans it, and the kiosk shows it Clean again; the
 * summary says so. A healthy run logs nothing at warn level or above and stops cleanly.
 */
import t from 'tap';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { cliProcess } from '../helpers/cli.js';
import { startDemo } from '../../sim/demo.js';

t.test('waymark demo --json: the exposure reported, seen, cleaned, in the summary', async (t) => {
  // at x30 the default report (simulated minute 10) and cleaning (minute 20) fall 20 s and 40 s in
  const run = await cliProcess(['demo', '--duration', '43', '--speed', '30', '--json', '--port', '0', '--seed', '4'], { timeoutMs: 150_000 });
  t.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout.trim());
  const e = summary.exposure;
  t.match(e, { reportedAt: String, cleanedAt: String, window: { from: Number, to: Number }, lastError: null }, JSON.stringify(e));
  const started = Date.parse(e.reportedAt) - 600_000;
  t.ok(Date.parse(e.cleanedAt) > Date.parse(e.reportedAt), 'cleaned after the report');
  t.ok(Math.abs(e.window.to * 1000 - Date.parse(e.reportedAt)) < 60_000, 'the window ends at the report');
  t.ok(e.window.to - e.window.from <= 600 && Math.abs(e.window.from * 1000 - started) < 60_000, 'and covers the run so far (its check-ins)');
  t.ok(summary.checkins.attested >= 1, 'there were check-ins in the window');
  const infected = e.statusSeen.indexOf('Infected');
  t.ok(infected >= 0, `the kiosk showed Infected: ${e.statusSeen}`);
  t.equal(e.statusSeen.at(-1), 'Clean', 'and Clean again at the end');
  t.ok(e.statusSeen.lastIndexOf('Clean') > infected);
  t.ok(e.wallets.warned >= 1, `simulated visitors' wallets matched the report locally: ${JSON.stringify(e.wallets)}`);
});

t.test('the loop in-process, fast: nothing logged at warn or above, and a clean stop', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  const logger = pino({ level: 'warn' }, sink);
  const demo = await startDemo({ port: 0, speed: 10, seed: 2, logger, exposure: { reportAtS: 30, cleanAtS: 60, windowS: 30 } });
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await demo.stop();
  });
  const reported = new Promise((resolve) => demo.exposure!.onReport(resolve));
  const report = (await reported) as { fromTime: number; toTime: number; txHash: string };
  t.equal(report.toTime - report.fromTime, 30, 'a 30 s window');
  t.same(demo.exposure!.report(), report, 'the report stays available for a simulated wallet');
  const deadline = Date.now() + 20_000;
  while (demo.summary().exposure!.statusSeen.at(-1) !== 'Clean' || !demo.summary().exposure!.cleanedAt) {
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await demo.stop();
  stopped = true;
  const e = demo.summary().exposure!;
  t.ok(e.cleanedAt, 'cleaned');
  t.ok(e.statusSeen.includes('Infected') && e.statusSeen.at(-1) === 'Clean', `states seen: ${e.statusSeen}`);
  t.same(lines, [], 'nothing at warn level or above');
});
