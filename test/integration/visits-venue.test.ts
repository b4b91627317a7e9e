/**
 * Visits end to end: the hard venue's traffic as real HCI bytes into a virtual controller,
 * the kiosk's scanner (direct path) under noble, the Kiosk with its SQLite store, and
 * /v1/occupancy. Simulated time only (ManualClock), so nothing depends on timing.
 */
import t from 'tap';
import { join } from 'node:path';
import { ManualClock } from '../../core/clock.js';
import { parseConfig } from '../../core/config.js';
import { Kiosk } from '../../kiosk/kiosk.js';
import { buildHttpApp } from '../../kiosk/http/server.js';
import { openDatabase } from '../../kiosk/store/database.js';
import type { VisitRecord } from '../../kiosk/sightings/visits.js';
import { createNobleScanner } from '../../kiosk/radio/noble-scanner.js';
import { defaultHciHub } from '../../sim/hci-hub.js';
import { VirtualHciSocket } from '../../sim/hci-socket.js';
import { HARD_VENUE, VirtualVenue } from '../../sim/venue.js';

const MIN = 60_000;
const STEP_MS = 250;

t.test('the hard venue through the radio into visits: counted, stored without links, served', async (t) => {
  const start = Date.UTC(2026, 4, 6, 10);
  const end = start + 45 * MIN;
  const devId = 61;
  const controller = defaultHciHub.add(devId);
  const clock = new ManualClock(start);
  const scanner = createNobleScanner({ socket: VirtualHciSocket, deviceId: devId, clock });
  const dir = t.testdir({});
  const kiosk = new Kiosk({ config: parseConfig({ dataDir: dir, store: { flushIntervalMs: 60_000 } }), clock, scanner });
  t.teardown(async () => {
    await kiosk.stop();
    defaultHciHub.remove(devId);
  });
  await kiosk.start();
  const app = await buildHttpApp(kiosk);
  t.teardown(() => app.close());

  // short visits so that many begin and end within the run
  const venue = new VirtualVenue({ ...HARD_VENUE, seed: 21, startMs: start, startWithOccupants: true, arrivalsPerHour: 90, dwell: { kind: 'lognormal', medianMin: 8, sigma: 0.5 } });
  const visits: VisitRecord[] = [];
  kiosk.on('visits', (v) => visits.push(...v));
  let received = 0;
  scanner.on('report', () => received++);
  let sent = 0;
  let occupancyChecked = false;
  for (let now = start + STEP_MS; now <= end; now += STEP_MS) {
    const packets = venue.packetsUntil(now);
    clock.set(now); // the scanner stamps reports at delivery: the end of the step
    sent += controller.hearAll(packets);
    while (received < sent) await new Promise((r) => setImmediate(r));
    if ((now - start) % 1000 === 0) kiosk.flushNow();
    if (!occupancyChecked && now - start === 20 * MIN) {
      occupancyChecked = true;
      const occ = (await app.inject('/v1/occupancy')).json();
      t.equal(occ.now, kiosk.pipeline.visitsNow, '/v1/occupancy counts visits');
      t.ok(occ.now > 0 && occ.devicesNow >= occ.now - 2, `visits inside ${occ.now}, open sessions inside ${occ.devicesNow}`);
      t.ok(occ.visits.visitorsToday > 0, `visitors today: ${occ.visits.visitorsToday}`);
      t.equal(occ.visits.linking, true);
      t.equal(occ.visits.dwellHistogram.length, 7);
      t.ok(occ.visits.visitorsByHour.length >= 1);
    }
  }
  t.equal(received, sent, 'every report the controller sent reached the scanner');

  // the visitors' device visits that began (first heard) in the window, against the truth
  const from = start + 5 * MIN;
  const to = start + 30 * MIN;
  let truthDevices = 0;
  for (const v of venue.truth.visits()) {
    const first = new Map<number, number>();
    for (const a of v.addresses) if (a.firstHeard !== null) first.set(a.deviceId, Math.min(first.get(a.deviceId) ?? Infinity, a.firstHeard));
    for (const f of first.values()) if (f >= from && f < to) truthDevices++;
  }
  const counted = visits.filter((v) => v.class === 'visitor' && v.firstSeen >= from && v.firstSeen < to).length;
  t.ok(truthDevices > 20, `${truthDevices} visitor devices arrived in the window`);
  t.ok(Math.abs(counted - truthDevices) <= 0.25 * truthDevices, `kiosk visits ${counted} vs truth ${truthDevices}`);
  t.ok(visits.some((v) => v.addresses > 1), 'rotated addresses were joined');
  t.ok(visits.some((v) => v.class === 'passer-by'), 'people passing the door were told apart');

  await kiosk.stop();
  const db = openDatabase(join(dir, 'waymark.db'));
  t.teardown(() => db.close());
  const columns = (table: string) => (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
  t.same(columns('visits'), ['id', 'first_seen', 'last_seen', 'dwell_s', 'addresses', 'class'], 'a visit row holds no address hash and no session id');
  t.notOk(columns('sessions').some((c) => /visit/.test(c)), 'a session row does not say which visit it belongs to');
  const rows = db.prepare('SELECT first_seen AS f, last_seen AS l, dwell_s AS d, class AS c FROM visits').all() as { f: number; l: number; d: number; c: string }[];
  t.equal(rows.length, visits.length, 'every closed visit is stored, passers-by and fixed devices with their class');
  t.ok(rows.every((r) => r.f % MIN === 0 && r.l % MIN === 0), 'stored times are whole minutes');
});
