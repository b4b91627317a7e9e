/** `waymark visitor scan --demo`: the phone hears the demo kiosk's beacon on the virtual air and verifies it. */
import t from 'tap';
import { cliProcess } from '../helpers/cli.js';

t.test('visitor scan --demo prints verified positions', async (t) => {
  const r = await cliProcess(['visitor', 'scan', '--demo', '--duration', '3', '--json']);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const summary = lines.pop().summary;
  t.ok(lines.length >= 1, 'at least one position');
  for (const p of lines) t.match(p, { kiosk: /^[0-9a-f]{16}$/, geohash: 'u4pruydqq', epoch: Number, rssi: -58 });
  t.equal(lines[0].kiosk, summary.kiosk);
  t.equal(summary.verifiedByPhone, lines.length);
  t.same(summary.refusedByPhone, {});
});

t.test('visitor scan without keys or with a bad key is a usage error', async (t) => {
  let r = await cliProcess(['visitor', 'scan', '--duration', '1']);
  t.equal(r.code, 2);
  t.match(r.stderr, 'WAYMARK_ERR_USAGE');
  r = await cliProcess(['visitor', 'scan', '--pubkey', 'abc']);
  t.equal(r.code, 2);
  t.match(r.stderr, '--pubkey must be 64 hex digits');
});
