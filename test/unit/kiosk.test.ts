import t from 'tap';
import { join } from 'node:path';
import { Kiosk } from '../../kiosk/kiosk.js';
import { openDatabase } from '../../kiosk/store/database.js';
import { SightingsStore } from '../../kiosk/store/sightings-store.js';
import { parseConfig } from '../../core/config.js';
import { ManualClock, DAY_MS } from '../../core/clock.js';
import { PushScanner } from '../helpers/push-scanner.js';

const T0 = Date.UTC(2026, 6, 1, 12);

t.test('retention runs at start: old salts and rows from an earlier run are gone', async (t) => {
  const dir = t.testdir({});
  // an earlier run, 20 days ago
  const db = openDatabase(join(dir, 'waymark.db'));
  const old = new SightingsStore(db);
  old.saltFor(Math.floor((T0 - 20 * DAY_MS) / DAY_MS));
  old.queueSessions([{ id: 1, addressHash: 'ab'.repeat(16), kind: 'resolvable', firstSeen: T0 - 20 * DAY_MS, lastSeen: T0 - 20 * DAY_MS + 1000,
    dwellMs: 1000, samples: 2, rssiMin: -70, rssiMean: -70, rssiMax: -70, rssiLast: -70, closed: true }]);
  old.flush();
  db.close();

  const kiosk = new Kiosk({ config: parseConfig({ dataDir: dir }), clock: new ManualClock(T0), scanner: new PushScanner() });
  await kiosk.start();
  t.teardown(() => kiosk.stop());
  const s = kiosk.status();
  t.same(s.retention.last, { saltsDestroyed: 1, sessionsDeleted: 1, occupancyDeleted: 0 });
  t.equal(kiosk.store.counts().sessions, 0);
});

t.test('retention runs again on its interval, driven by the kiosk clock', async (t) => {
  const dir = t.testdir({});
  const clock = new ManualClock(T0);
  const scanner = new PushScanner();
  const kiosk = new Kiosk({ config: parseConfig({ dataDir: dir, retention: { days: 1, sweepIntervalS: 3600 } }), clock, scanner });
  await kiosk.start();
  t.teardown(() => kiosk.stop());
  scanner.push({ address: '40:00:00:00:00:01', rssi: -60, time: clock.now() });
  clock.advance(60_000);
  kiosk.flushNow();
  t.equal(kiosk.store.counts().sessions, 1);
  clock.advance(2 * DAY_MS);
  kiosk.flushNow();
  t.equal(kiosk.store.counts().sessions, 0, 'the session is past the 1-day retention');
  t.equal(kiosk.store.counts().salts, 0, 'and so is its salt');
});

t.test('stop closes open sessions and writes them', async (t) => {
  const dir = t.testdir({});
  const clock = new ManualClock(T0);
  const scanner = new PushScanner();
  const kiosk = new Kiosk({ config: parseConfig({ dataDir: dir }), clock, scanner });
  await kiosk.start();
  for (let i = 0; i < 5; i++) scanner.push({ address: `40:00:00:00:00:0${i}`, rssi: -60, time: clock.now() });
  await kiosk.stop();
  const db = openDatabase(join(dir, 'waymark.db'));
  t.teardown(() => db.close());
  t.equal((db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE closed = 1').get() as { n: number }).n, 5);
  t.equal(scanner.running, false, 'the radio was closed');
});

t.test('a store failure is reported and retried, not fatal', async (t) => {
  const dir = t.testdir({});
  const clock = new ManualClock(T0);
  const scanner = new PushScanner();
  const kiosk = new Kiosk({ config: parseConfig({ dataDir: dir }), clock, scanner });
  await kiosk.start();
  t.teardown(() => kiosk.stop());
  const db = openDatabase(join(dir, 'waymark.db'));
  db.exec("CREATE TRIGGER full BEFORE INSERT ON sessions BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  scanner.push({ address: '40:00:00:00:00:01', rssi: -60, time: clock.now() });
  clock.advance(1000);
  kiosk.flushNow();
  t.equal(kiosk.status().store.ok, false);
  t.match(kiosk.status().store.lastError, /disk full/);
  t.equal(kiosk.healthy, false);
  db.exec('DROP TRIGGER full');
  db.close();
  kiosk.flushNow();
  t.equal(kiosk.status().store.ok, true);
  t.equal(kiosk.store.counts().sessions, 1, 'the queued session was written on the retry');
});
