/**
 * The demo end to end as a user runs it: the real program, the virtual venue on air,
 * noble's parser, the SQLite store; then the capture it wrote replayed.
 */
import t from 'tap';
import { join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { cliProcess } from '../helpers/cli.js';

t.test('waymark demo --duration --json, then waymark replay of its capture', async (t) => {
  const dir = t.testdir({});
  const capture = join(dir, 'venue.btsnoop');
  const dataDir = join(dir, 'data');
  const demo = await cliProcess(['demo', '--duration', '4', '--speed', '30', '--json', '--port', '0', '--seed', '7', '--capture', capture, '--data-dir', dataDir]);
  t.equal(demo.code, 0, demo.stderr);
  const lines = demo.stdout.trim().split('\n');
  t.equal(lines.length, 1, 'exactly one JSON line on stdout');
  const summary = JSON.parse(lines[0]!);
  t.match(summary.radio, /^noble\/hci-socket\(virtual/, 'the report path ran through noble on the virtual HCI socket');
  t.ok(summary.reports > 500, `reports: ${summary.reports}`);
  t.ok(summary.addresses > 5, `addresses: ${summary.addresses}`);
  t.ok(summary.sessions >= summary.addresses, `sessions: ${summary.sessions}`);
  t.ok(summary.occupancyPeak > 0, `occupancy peak: ${summary.occupancyPeak}`);
  t.ok(summary.simulatedSeconds >= 100, `simulated seconds: ${summary.simulatedSeconds}`);
  t.equal(summary.dropped.malformed, 0);
  t.ok(summary.beacon.epochs >= 2, `beacon epochs signed: ${summary.beacon.epochs}`);
  t.ok(summary.beacon.verifiedByPhone >= 1, 'the simulated phone verified the kiosk beacon');
  t.same(summary.beacon.refusedByPhone, {});
  t.equal(summary.beacon.keyOnChain, 'published', 'the beacon key is in the registry for phones to download');
  t.ok(summary.beacon.taps.attested >= 1, `a phone checked in by BLE tap: ${JSON.stringify(summary.beacon.taps)}`);
  t.ok(summary.checkins.attested >= 1, `visitors checked in over HTTP/QR: ${JSON.stringify(summary.checkins)}`);
  t.ok(existsSync(join(dataDir, 'waymark.db')), 'the store was kept in --data-dir');
  t.ok(statSync(capture).size > 16 * 1024, 'the capture was written');

  const replay = await cliProcess(['replay', capture, '--json']);
  t.equal(replay.code, 0, replay.stderr);
  const r = JSON.parse(replay.stdout);
  t.equal(r.radio, 'btsnoop-replay');
  t.equal(r.reports, summary.packetsOnAir, 'every packet put on air is in the capture and replayed');
  t.equal(r.capture.complete, true);
  t.ok(r.sessions > 0);
  t.ok(Math.abs(r.addresses - summary.addresses) <= 3, `replay addresses ${r.addresses} vs demo ${summary.addresses}`);

  const sessions = await cliProcess(['replay', capture, '--sessions']);
  t.equal(sessions.code, 0);
  const rows = sessions.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  t.equal(rows.length, r.sessions, 'one JSON line per closed session');
  for (const row of rows.slice(0, 20)) {
    t.match(row, { addressHash: /^[0-9a-f]{32}$/, firstSeen: Number, lastSeen: Number, dwellMs: Number, rssiMean: Number });
    t.notOk('address' in row, 'no raw address in the output');
  }
});
