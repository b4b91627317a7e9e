/**
 * The serial co-processor from the command line, as real child processes on real ptys:
 * `bridge simulate` + `bridge probe`, and `demo --radio serial` against `demo --radio hci`.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { cliProcess, REPO } from '../helpers/cli.js';

/** Every key path of a JSON value, e.g. `dropped.rssi`; values are not compared. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    // free-form maps (counts by reason) may differ in keys from run to run
    return k === 'refusedByPhone' ? [path] : keyPaths(v, path);
  }).sort();
}

t.test('waymark demo --radio serial prints the same summary keys as --radio hci', async (t) => {
  const args = ['demo', '--duration', '3', '--speed', '30', '--json', '--port', '0'];
  const [serial, hci] = await Promise.all([cliProcess([...args, '--radio', 'serial']), cliProcess([...args, '--radio', 'hci'])]);
  t.equal(serial.code, 0, serial.stderr);
  t.equal(hci.code, 0, hci.stderr);
  const s = JSON.parse(serial.stdout.trim());
  const h = JSON.parse(hci.stdout.trim());
  t.same(keyPaths(s), keyPaths(h), 'same summary fields');
  t.match(s.radio, /^serial\(\/dev\/pts\/\d+\)$/, 'the report path ran through the serial radio on a pty');
  t.match(h.radio, /^noble\/hci-socket\(virtual/);
  // how many get through in 3 s depends on the machine's load; that they arrive, intact, does not
  t.ok(s.reports > 0, `serial reports: ${s.reports}`);
  t.ok(s.addresses > 0, `addresses: ${s.addresses}`);
  // reports still in the pty when the demo stops are not counted; none is invented or doubled
  t.ok(s.reports <= s.packetsOnAir, `serial reports ${s.reports} <= packets on air ${s.packetsOnAir}`);
  t.equal(s.dropped.malformed, 0, 'no report was damaged on the way');
  t.equal(s.dropped.rssi, 0);
});

t.test('bridge simulate --link serves the firmware until stopped; bridge probe handshakes with it', async (t) => {
  const dir = t.testdir({});
  const link = join(dir, 'ttyWAYMARK');
  const sim = spawn(process.execPath, ['--import', 'tsx', 'cli/waymark.ts', 'bridge', 'simulate', '--link', link], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  sim.stdout.on('data', (d) => (out += d));
  sim.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => sim.on('close', (code) => resolve(code)));
  t.teardown(() => void sim.kill('SIGKILL'));
  const end = Date.now() + 60_000;
  while (!out.includes('linked at') && Date.now() < end && sim.exitCode === null) await new Promise((r) => setTimeout(r, 50));
  t.match(out, /^simulated co-processor on \/dev\/pts\/\d+, linked at /, err);
  const device = /on (\/dev\/pts\/\d+)/.exec(out)![1];
  t.equal(readlinkSync(link), device);

  const probe = await cliProcess(['bridge', 'probe', '--port', link, '--json']);
  t.equal(probe.code, 0, probe.stderr);
  const info = JSON.parse(probe.stdout);
  t.match(info, {
    port: link,
    protocolVersion: 1,
    firmwareVersion: '1.0.0',
    board: 'waymark-sim-pty',
    address: 'c0:ff:ee:00:00:01',
    addressType: 'random',
    capabilities: { extendedAdvertising: true, nfc: true, activeScan: true, codedPhy: false },
    maxAdvDataLength: 1650,
    maxPayloadLength: 2048,
  });
  const text = await cliProcess(['bridge', 'probe', '--port', link]);
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, /waymark-sim-pty, firmware 1\.0\.0, protocol 1/);

  sim.kill('SIGTERM');
  t.equal(await exited, 0, err);
  t.match(out, /stopped: \d+ packets on air/);
  t.notOk(existsSync(link), 'the link is removed at exit');
});

t.test('bridge probe without a device fails with exit 1; bad usage exits 2', async (t) => {
  const dir = t.testdir({});
  const missing = await cliProcess(['bridge', 'probe', '--port', join(dir, 'nothing-here')]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /WAYMARK_ERR_RADIO_UNAVAILABLE/);
  const noLink = await cliProcess(['bridge', 'simulate']);
  t.equal(noLink.code, 2);
  t.match(noLink.stderr, /--link PATH is required/);
  const badRadio = await cliProcess(['demo', '--radio', 'zigbee', '--duration', '1', '--json', '--port', '0']);
  t.equal(badRadio.code, 2);
  t.match(badRadio.stderr, /--radio must be hci or serial/);
});
