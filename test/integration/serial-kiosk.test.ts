/**
 * `waymark kiosk start` with `radio.adapter: "serial"` against `waymark bridge simulate`: two real
 * processes joined by a real pty; the kiosk hears the simulated venue and shows the bridge counters.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/cli.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The kiosk's clock counts as synchronized: systemd-timesyncd's flag file exists (a fixture). */
const timesyncFlag = join(mkdtempSync(join(tmpdir(), 'waymark-timesync-')), 'synchronized');
writeFileSync(timesyncFlag, '');

function waymark(args: string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/waymark.ts', ...args], {
    cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WAYMARK_TIMESYNC_FLAG: timesyncFlag },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, out: () => out, exited: new Promise((resolve) => child.on('close', resolve)) };
}

t.test('kiosk start on radio.adapter serial reads the simulated board through the pty', async (t) => {
  const dir = t.testdir({});
  const link = join(dir, 'ttyWAYMARK');
  const sim = waymark(['bridge', 'simulate', '--link', link, '--speed', '10']);
  t.teardown(() => void sim.child.kill('SIGKILL'));
  for (let i = 0; i < 600 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 100));
  t.ok(existsSync(link), sim.out());

  const port = await freePort();
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({
    venue: { name: 'Gate 3', geohash: 'u4pruydqq' }, dataDir: join(dir, 'data'),
    radio: { adapter: 'serial', serialPort: link }, http: { host: '127.0.0.1', port },
  }));
  const kiosk = waymark(['kiosk', 'start', '--config', config]);
  t.teardown(() => void kiosk.child.kill('SIGKILL'));

  let status: any;
  for (let i = 0; i < 300; i++) {
    await new Promise((r) => setTimeout(r, 200));
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v1/status`);
      if (res.ok) status = await res.json();
    } catch { /* not up yet */ }
    if (status?.sightings?.reports > 0) break;
  }
  t.ok(status, `the kiosk answered; output: ${kiosk.out()}`);
  t.equal(status.radio.adapter, `serial(${link})`);
  t.equal(status.radio.state, 'poweredOn');
  t.ok(status.sightings.reports > 0, 'reports from the simulated venue arrived over the pty');
  t.equal(status.beacon.onAir, true, 'the board advertises the signed beacon');

  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  t.match(metrics, /^waymark_serial_connected 1$/m);
  t.match(metrics, /^waymark_serial_reconnects_total 0$/m);
  t.match(metrics, /^waymark_serial_crc_errors_total 0$/m);
  t.match(metrics, /^waymark_serial_timeouts_total \d+$/m);

  kiosk.child.kill('SIGTERM');
  t.equal(await kiosk.exited, 0, kiosk.out());
  sim.child.kill('SIGTERM');
  t.equal(await sim.exited, 0, sim.out());
});
