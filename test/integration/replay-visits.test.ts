/**
 * `waymark replay FILE --visits`: a capture of the hard venue (real HCI events in btsnoop)
 * replayed through the scanner's parser and the pipeline, one JSON line per closed visit.
 */
import t from 'tap';
import { join } from 'node:path';
import { BtsnoopWriter } from '../../kiosk/radio/hci/btsnoop.js';
import { encodeAdvertisingReportEvent } from '../../sim/air.js';
import { HARD_VENUE, VirtualVenue } from '../../sim/venue.js';
import { cli } from '../helpers/cli.js';

t.test('replay --visits prints every closed visit; the summary has visits and their median dwell', async (t) => {
  const file = join(t.testdir({}), 'venue.btsnoop');
  const start = Date.UTC(2026, 4, 7, 15);
  const venue = new VirtualVenue({ ...HARD_VENUE, seed: 3, startMs: start, startWithOccupants: true, dwell: { kind: 'lognormal', medianMin: 6, sigma: 0.4 } });
  const writer = await BtsnoopWriter.create(file);
  venue.forEachPacketUntil(start + 30 * 60_000, (p) => writer.writeHciEvent(p.time, encodeAdvertisingReportEvent(p)));
  await writer.close();

  const r = await cli(['replay', file, '--visits', '--json']);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const summary = JSON.parse(lines.pop()!);
  const visits = lines.map((l) => JSON.parse(l));
  t.equal(visits.length, summary.visits, 'one line per visit');
  t.ok(summary.visits > 10, `${summary.visits} visits`);
  t.ok(summary.visits < summary.sessions, `fewer visits than sessions (${summary.sessions}): rotations joined, passers-by left out`);
  for (const v of visits) {
    t.same(Object.keys(v), ['firstSeen', 'lastSeen', 'dwellMs', 'addresses']);
    t.equal(v.dwellMs, v.lastSeen - v.firstSeen);
    t.ok(v.firstSeen >= start && v.addresses >= 1);
  }
  const dwells = visits.map((v) => v.dwellMs).sort((a, b) => a - b);
  const mid = dwells.length >> 1;
  const median = dwells.length % 2 ? dwells[mid] : (dwells[mid - 1] + dwells[mid]) / 2;
  t.equal(summary.visitDwellMedianS, Math.round(median / 1000));

  const off = await cli(['replay', file, '--json'], { env: {} });
  t.equal(JSON.parse(off.stdout).visits, summary.visits, 'the summary counts visits without --visits too');
});
