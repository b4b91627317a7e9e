import t from 'tap';
import { join } from 'node:path';
import { openDatabase } from '../../../kiosk/store/database.js';
import { SightingsStore } from '../../../kiosk/store/sightings-store.js';
import type { VisitRecord } from '../../../kiosk/sightings/visits.js';

const H = 3_600_000;
const BASE = Date.UTC(2026, 3, 1, 10);

function setup(t: any) {
  const db = openDatabase(join(t.testdir({}), 'w.db'));
  t.teardown(() => db.close());
  return { db, store: new SightingsStore(db) };
}

const visit = (firstSeen: number, minutes: number, cls: VisitRecord['class'] = 'visitor', addresses = 2): VisitRecord => ({
  firstSeen, lastSeen: firstSeen + minutes * 60_000, dwellMs: minutes * 60_000, addresses, class: cls, peakRssi: -60,
});

t.test('visits are stored with minute times and no link to any session', async (t) => {
  const { db, store } = setup(t);
  store.queueVisits([visit(BASE + 12_345, 20.5)]);
  t.equal(store.pendingWrites, 1);
  t.equal(store.flush(), 1);
  t.same(db.prepare('SELECT first_seen, last_seen, dwell_s, addresses, class FROM visits').all(), [
    { first_seen: BASE, last_seen: BASE + 21 * 60_000, dwell_s: 1230, addresses: 2, class: 'visitor' },
  ]);
});

t.test('visitors per hour count each visit once in every hour it overlaps; open visits too', async (t) => {
  const { store } = setup(t);
  store.queueVisits([
    visit(BASE + 10 * 60_000, 90), // 10:10-11:40
    visit(BASE + 20 * 60_000, 5), // 10:20-10:25
    visit(BASE + 30 * 60_000, 0.5, 'passer-by'),
    visit(BASE - 10 * H, 12 * 60, 'fixed'),
  ]);
  store.flush();
  const open = [{ firstSeen: BASE + 2 * H + 60_000, lastSeen: BASE + 2 * H + 30 * 60_000 }];
  t.same(store.visitorsByHour(BASE, BASE + 2 * H + 40 * 60_000, open).map((h) => [h.hour - BASE, h.visitors]), [[0, 2], [H, 1], [2 * H, 1]]);
  t.equal(store.visitorsBetween(BASE, BASE + 3 * H), 2, 'passers-by and fixed devices are not visitors');
  t.same(store.visitDwellHistogram(BASE, BASE + H).map((b) => b.count), [0, 1, 0, 0, 0, 1, 0]);
});

t.test('retention deletes old visits and says so only when it did', async (t) => {
  const { store } = setup(t);
  t.same(store.applyRetention(BASE, 14), { saltsDestroyed: 0, sessionsDeleted: 0, occupancyDeleted: 0 });
  store.queueVisits([visit(BASE - 20 * 24 * H, 30)]);
  store.flush();
  t.match(store.applyRetention(BASE, 14), { visitsDeleted: 1 });
});
