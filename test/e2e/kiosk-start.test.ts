/** `waymark kiosk start` as systemd runs it: config file, HTTP up, SIGTERM, clean stop. */
import t from 'tap';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { REPO } from '../helpers/cli.js';
import { openDatabase } from '../../kiosk/store/database.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

t.test('kiosk start serves, logs JSON, and stops cleanly on SIGTERM', async (t) => {
  const dir = t.testdir({});
  const port = await freePort();
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({
    venue: { name: 'Gate 3', geohash: 'u4pruydqq' }, dataDir: join(dir, 'data'),
    radio: { adapter: 'virtual' }, http: { host: '127.0.0.1', port },
  }));
  // the clock is synchronized as systemd-timesyncd says so: its flag file exists
  const timesyncFlag = join(dir, 'synchronized');
  writeFileSync(timesyncFlag, '');
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/waymark.ts', 'kiosk', 'start', '--config', config], {
    cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WAYMARK_TIMESYNC_FLAG: timesyncFlag },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  t.teardown(() => child.kill('SIGKILL'));

  let status: any;
  for (let i = 0; i < 150 && !status; i++) {
    await new Promise((r) => setTimeout(r, 200));
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v1/status`);
      if (res.ok) status = await res.json();
    } catch { /* not up yet */ }
  }
  t.ok(status, `the kiosk answered on port ${port}; stderr: ${stderr}`);
  t.equal(status.venue.name, 'Gate 3');
  t.match(status.radio.adapter, /virtual/);
  t.match(status.clock, { synced: true, source: 'system' }, 'one clock: synchronized by the timesync flag file');
  // let it hear something
  for (let i = 0; i < 50; i++) {
    const s = await (await fetch(`http://127.0.0.1:${port}/v1/status`)).json() as any;
    if (s.sightings.reports > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const live = await (await fetch(`http://127.0.0.1:${port}/v1/status`)).json() as any;
  t.equal(live.beacon.onAir, true, 'the signed beacon is on air');
  t.match(live.beacon.kiosk, /^[0-9a-f]{16}$/);
  t.equal(live.beacon.paused, null);
  t.same(live.checkin, { enabled: false }, 'no kiosk key or chain: check-in is off');
  t.same(live.chain, { anchoring: false });
  child.kill('SIGTERM');
  t.equal(await exited, 0, stderr);
  const lines = stdout.trim().split('\n').filter(Boolean);
  t.ok(lines.length >= 2, 'it logged');
  for (const l of lines) t.doesNotThrow(() => JSON.parse(l), 'every log line is JSON');
  t.ok(lines.some((l) => JSON.parse(l).msg === 'kiosk stopped'));
  const db = openDatabase(join(dir, 'data', 'waymark.db'));
  t.teardown(() => db.close());
  t.ok((db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE closed = 1').get() as { n: number }).n > 0, 'sessions were closed and written at stop');
  const { statSync } = await import('node:fs');
  t.equal(statSync(join(dir, 'data', 'beacon-key.hex')).mode & 0o777, 0o600, 'the beacon key file is private');
});

t.test('kiosk start with a bad config names the fields and exits 1', async (t) => {
  const dir = t.testdir({ 'bad.json': JSON.stringify({ radio: { adapter: 'bluetooth' }, http: { port: 99999 } }) });
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/waymark.ts', 'kiosk', 'start', '--config', join(dir, 'bad.json')], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 1);
  t.match(stderr, 'radio.adapter');
  t.match(stderr, 'http.port');
  t.match(stderr, 'WAYMARK_ERR_CONFIG_INVALID');
});
