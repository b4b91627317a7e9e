/**
 * Contact matching against ground truth: the virtual venue runs for 80 minutes and is written
 * to a btsnoop capture; `waymark replay --data-dir` keeps the store it builds (with the
 * capture day's salt); one visitor's addresses are published and `waymark contacts match`
 * must find exactly that visitor's presence, with the overlapping sessions as aggregates and
 * no other device's hash anywhere in its output.
 */
import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualVenue, DEFAULT_VENUE_START_MS, type VisitTruth } from '../../sim/venue.js';
import { encodeAdvertisingReportEvent } from '../../sim/air.js';
import { BtsnoopWriter } from '../../kiosk/radio/hci/btsnoop.js';
import { openDatabase } from '../../kiosk/store/database.js';
import { matchContacts } from '../../kiosk/contacts/match.js';
import { parseAddressList } from '../../kiosk/contacts/address-list.js';
import { isWaymarkError } from '../../core/errors.js';
import { cli } from '../helpers/cli.js';

const RUN_MS = 80 * 60_000;
const T0 = DEFAULT_VENUE_START_MS + 9 * 3_600_000; // 09:00 UTC

async function captureVenue(path: string): Promise<VirtualVenue> {
  const venue = new VirtualVenue({ seed: 'contacts', startMs: T0, arrivalsPerHour: 40, startWithOccupants: true });
  const writer = await BtsnoopWriter.create(path);
  for (let t = T0; t < T0 + RUN_MS; t += 60_000) {
    venue.forEachPacketUntil(t + 60_000, (p) => writer.writeHciEvent(p.time, encodeAdvertisingReportEvent(p)));
  }
  await writer.close();
  return venue;
}

t.test('a replayed capture keeps its store; one visitor\'s published addresses find that visitor, and only aggregates of others', async (t) => {
  const dir = t.testdir({});
  const capture = join(dir, 'venue.btsnoop');
  const dataDir = join(dir, 'replayed');
  const venue = await captureVenue(capture);

  const replay = await cli(['replay', capture, '--data-dir', dataDir, '--json']);
  t.equal(replay.code, 0, replay.stderr);
  const summary = JSON.parse(replay.stdout);
  t.equal(summary.store, join(dataDir, 'waymark.db'), 'the summary says where the store was kept');
  t.ok(existsSync(join(dataDir, 'waymark.db')), 'the store is kept');
  t.ok(summary.sessions > 50, `${summary.sessions} sessions`);
  const again = await cli(['replay', capture, '--data-dir', dataDir, '--json']);
  t.equal(again.code, 2, 'the same capture into the same store again is refused');
  t.match(again.stderr, /already replayed into .*WAYMARK_ERR_USAGE/s);

  // a visitor who arrived and left inside the capture and used several addresses
  const heard = (v: VisitTruth) => v.addresses.filter((a) => a.packetsHeard > 0);
  const visitor = venue.truth.visits()
    .filter((v) => v.appearsAt > T0 && v.disappearsAt < T0 + RUN_MS && heard(v).length >= 3)
    .sort((a, b) => heard(b).length - heard(a).length)[0]!;
  t.ok(visitor, 'the venue has a visitor with three or more addresses');
  const own = new Set(visitor.addresses.map((a) => a.address));
  const lines = [
    '# visitor ' + visitor.visitorId,
    ...visitor.addresses.map((a, i) => (i === 0 ? a.address.toUpperCase() : `${a.address.toUpperCase()},${Math.floor(a.validFrom / 1000)},${Math.ceil(a.validUntil / 1000)}`)),
    '4a:00:00:00:00:01', // used elsewhere: never heard here
    `4a:00:00:00:00:02,${Math.floor(Date.UTC(2025, 11, 1, 12) / 1000)},${Math.floor(Date.UTC(2025, 11, 1, 13) / 1000)}`, // a day without salt
  ];
  const listFile = join(dir, 'published.txt');
  writeFileSync(listFile, lines.join('\n') + '\n');

  const res = await cli(['contacts', 'match', '--data-dir', dataDir, '--addresses', listFile, '--venue', '7', '--json']);
  t.equal(res.code, 0, res.stderr);
  const out = JSON.parse(res.stdout);

  // the windows are the visitor's, and cover exactly when the kiosk heard each address
  t.ok(out.windows.length >= heard(visitor).length, `${out.windows.length} windows for ${heard(visitor).length} heard addresses`);
  for (const w of out.windows) t.ok(own.has(w.address), `window of ${w.address} belongs to the visitor`);
  for (const a of heard(visitor)) {
    const ws = out.windows.filter((w: any) => w.address === a.address);
    t.ok(ws.length >= 1, `${a.address} found`);
    t.equal(Math.min(...ws.map((w: any) => w.from)), Math.floor(a.firstHeard! / 1000), `${a.address} first heard`);
    t.equal(Math.max(...ws.map((w: any) => w.to)), Math.ceil(a.lastHeard! / 1000), `${a.address} last heard`);
    t.ok(ws.every((w: any) => w.rssiMean <= w.rssiMax && w.rssiMean >= w.rssiMin && w.samples > 0), 'filtered RSSI statistics');
  }
  t.same(out.addresses, { published: visitor.addresses.length + 2, matched: heard(visitor).length });
  t.same(out.days, { searched: ['2026-01-01'], withoutSalt: ['2025-12-01'] });

  // one visit, reported with the command line `authority report` takes
  const from = Math.min(...out.windows.map((w: any) => w.from));
  const to = Math.max(...out.windows.map((w: any) => w.to));
  t.same(out.visits, [{ from, to, windows: out.windows.length, report: `waymark authority report --venue 7 --from ${from} --to ${to}` }]);
  t.ok(from >= Math.floor(visitor.appearsAt / 1000) && to <= Math.ceil(visitor.disappearsAt / 1000), 'inside the visit\'s truth');

  // aggregates of the other sessions, as a direct count over the store says, and never a hash
  const db = openDatabase(join(dataDir, 'waymark.db'));
  t.teardown(() => db.close());
  const rows = db.prepare('SELECT id, address_hash AS hash, kind, first_seen AS f, last_seen AS l FROM sessions').all() as { id: number; hash: string; kind: string; f: number; l: number }[];
  const ownIds = new Set(out.windows.map((w: any) => Number(w.record.slice(2))));
  for (const w of out.windows) {
    const row = rows.find((r) => r.id === Number(w.record.slice(2)))!;
    const others = rows.filter((r) => !ownIds.has(r.id) && ['resolvable', 'non-resolvable'].includes(r.kind) && r.f <= row.l && r.l >= row.f);
    t.equal(w.overlapping.sessions, others.length, `window ${w.record}: ${others.length} overlapping sessions`);
    const present = venue.truth.presentAt((row.f + row.l) / 2).filter((v) => v.visitorId !== visitor.visitorId).length;
    if (present > 0) t.ok(w.overlapping.sessions >= 1, `others were present (${present} by the truth)`);
    if (others.length) t.ok(w.overlapping.overlapS.max <= (row.l - row.f) / 1000 + 0.05, 'no session overlaps longer than the window');
  }
  t.ok(out.overlapping.sessions >= Math.max(...out.windows.map((w: any) => w.overlapping.sessions)), 'the union counts each session once');
  t.equal(out.overlapping.sessionsAtLeast['15min'] <= out.overlapping.sessionsAtLeast['10min'], true);
  const hashes = rows.map((r) => r.hash);
  t.ok(hashes.length > 50);
  t.notOk(hashes.some((h) => res.stdout.includes(h)), 'no session hash appears in the output');
  t.notMatch(res.stdout, /[0-9a-f]{32}/, 'nothing that looks like a hash at all');

  // the text form prints the report line too
  const text = await cli(['contacts', 'match', '--data-dir', dataDir, '--addresses', listFile]);
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, new RegExp(`waymark authority report --venue <VENUE_ID> --from ${from} --to ${to}`));

  // a published range outside the address's use matches nothing of it
  const narrow = parseAddressList([`${visitor.addresses[1]!.address},${Math.floor(T0 / 1000) - 7200},${Math.floor(T0 / 1000) - 3600}`]);
  t.same(matchContacts(db, narrow).windows, [], 'range before the visit: no window');
});

t.test('the address list names every bad line; a missing store is a usage error', async (t) => {
  try {
    parseAddressList(['AA:BB:CC:DD:EE:FF', 'AA:BB:CC:DD:EE', 'AA:BB:CC:DD:EE:FF,10', 'AA:BB:CC:DD:EE:FF,20,10', 'AA:BB:CC:DD:EE:FF,x,10']);
    t.fail('expected an error');
  } catch (err) {
    t.ok(isWaymarkError(err, 'WAYMARK_ERR_CONTACTS_ADDRESSES'));
    t.same((err as any).details.lines.map((l: any) => l.line), [2, 3, 4, 5]);
    t.match((err as Error).message, /line 4: from 20 is after to 10/);
  }
  const dir = t.testdir({ 'list.txt': 'AA:BB:CC:DD:EE:FF\n', 'bad.txt': 'nope\n' });
  const missing = await cli(['contacts', 'match', '--data-dir', join(dir, 'none'), '--addresses', join(dir, 'list.txt')]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /no store at/);
});
