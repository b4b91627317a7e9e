import t, { type Test } from 'tap';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, integrityCheck } from '../../../kiosk/store/database.js';
import { SightingsStore } from '../../../kiosk/store/sightings-store.js';
import { SightingsPipeline } from '../../../kiosk/sightings/pipeline.js';
import { ManualClock, DAY_MS, utcDay } from '../../../core/clock.js';

function setup(t: Test) {
  const dir = t.testdir({});
  const path = join(dir, 'waymark.db');
  const db = openDatabase(path);
  t.teardown(() => db.close());
  const store = new SightingsStore(db);
  const pipeline = new SightingsPipeline({
    filter: { kind: 'ema', timeConstantS: 2 },
    sessionGapS: 30,
    insideRssiDbm: -80,
    visitorKinds: ['resolvable', 'non-resolvable'],
    salts: store,
    firstSessionId: store.nextSessionId(),
  });
  pipeline.onSessions((r) => store.queueSessions(r));
  return { dir, path, db, store, pipeline };
}

function addresses(n: number, seed: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const b = [0x40 | ((seed + i) & 0x3f), (i * 37) & 0xff, (i * 101) & 0xff, (seed * 13) & 0xff, (i >> 8) & 0xff, i & 0xff];
    out.push(b.map((x) => x.toString(16).padStart(2, '0')).join(':'));
  }
  return out;
}

/** Every way an address could appear in the file: text (any case, with or without colons) and both byte orders. */
function addressForms(address: string): Buffer[] {
  const hex = address.replace(/:/g, '');
  const bytes = Buffer.from(hex, 'hex');
  return [
    Buffer.from(address), Buffer.from(address.toUpperCase()), Buffer.from(hex), Buffer.from(hex.toUpperCase()),
    bytes, Buffer.from(bytes).reverse(),
  ];
}

function fileBytes(dir: string): Buffer {
  return Buffer.concat(readdirSync(dir).filter((f) => f.startsWith('waymark.db')).map((f) => readFileSync(join(dir, f))));
}

t.test('no raw address reaches the database file (main, WAL and shm)', async (t) => {
  const { dir, store, pipeline } = setup(t);
  const clock = new ManualClock(Date.UTC(2026, 3, 1, 10));
  const addrs = addresses(300, 5);
  for (let step = 0; step < 120; step++) {
    for (const a of addrs) pipeline.ingestRaw(a, 'resolvable', -60 - (step % 20), clock.now());
    clock.advance(1000);
    pipeline.tick(clock.now());
    store.flush();
  }
  pipeline.finish();
  store.flush();
  t.equal(store.counts().sessions, 300);
  t.ok(existsSync(join(dir, 'waymark.db-wal')), 'WAL file is checked too');
  const bytes = fileBytes(dir);
  let found = 0;
  for (const a of addrs) for (const form of addressForms(a)) if (bytes.includes(form)) found++;
  t.equal(found, 0, 'no form of any address in the file bytes');
  // the check itself can fail: a hash that is stored is found
  const [row] = store.recentSessions(1);
  t.ok(bytes.includes(Buffer.from(row!.addressHash)), 'stored hashes are found by the same search');
});

t.test('retention destroys old salts and deletes old rows, at an injected time', async (t) => {
  const { dir, store, pipeline, db } = setup(t);
  const clock = new ManualClock(Date.UTC(2026, 3, 1, 10));
  const day0 = utcDay(clock.now());
  pipeline.ingestRaw('40:00:00:00:00:01', 'resolvable', -60, clock.now());
  pipeline.finish();
  store.flush();
  const oldSalt = Buffer.from(store.saltFor(day0));
  clock.advance(10 * DAY_MS);
  pipeline.ingestRaw('40:00:00:00:00:02', 'resolvable', -60, clock.now());
  pipeline.finish();
  store.flush();
  t.equal(store.counts().salts, 2);

  // 13 days after the first day: nothing is past the 14-day retention yet
  let r = store.applyRetention(Date.UTC(2026, 3, 14, 10), 14);
  t.same(r, { saltsDestroyed: 0, sessionsDeleted: 0, occupancyDeleted: 0 });

  // 16 days after: the first day's salt and session are gone, the second's stay
  r = store.applyRetention(Date.UTC(2026, 3, 17, 10), 14);
  t.equal(r.saltsDestroyed, 1);
  t.equal(r.sessionsDeleted, 1);
  t.equal(store.counts().sessions, 1);
  t.equal(store.counts().salts, 1);
  t.throws(() => store.saltFor(day0), /destroyed/, 'a shredded day gets no new salt');
  db.close();
  t.notOk(fileBytes(dir).includes(oldSalt), 'the destroyed salt bytes are overwritten in the file');
  t.ok(fileBytes(dir).length > 0);
});

t.test('flush is one transaction and rows survive reopening; interrupted sessions close', async (t) => {
  const { path, store, pipeline, db } = setup(t);
  const now = Date.UTC(2026, 3, 1, 10);
  for (const a of addresses(50, 1)) pipeline.ingestRaw(a, 'resolvable', -70, now);
  pipeline.tick(now + 1000);
  t.equal(store.pendingWrites, 50);
  t.equal(store.flush(), 50);
  t.equal(store.flushes, 1);
  t.equal(store.pendingWrites, 0);
  t.equal(store.flush(), 0, 'nothing to do, no transaction');
  t.equal(store.flushes, 1);
  db.close();
  const db2 = openDatabase(path);
  t.teardown(() => db2.close());
  const store2 = new SightingsStore(db2);
  t.equal(store2.counts().sessions, 50);
  t.equal(store2.closeInterrupted(), 50, 'sessions left open by a crash are closed at start');
  t.equal(store2.nextSessionId(), 51);
  t.equal(integrityCheck(db2), 'ok');
});

t.test('dwell histogram and occupancy series', async (t) => {
  const { store } = setup(t);
  const base = Date.UTC(2026, 3, 1, 10);
  const mk = (id: number, minutes: number) => ({
    id, addressHash: id.toString(16).padStart(32, '0'), kind: 'resolvable' as const, firstSeen: base, lastSeen: base + minutes * 60_000,
    dwellMs: minutes * 60_000, samples: 10, rssiMin: -70, rssiMean: -65, rssiMax: -60, rssiLast: -65, closed: true,
  });
  store.queueSessions([mk(1, 0.5), mk(2, 3), mk(3, 3), mk(4, 200)]);
  store.queueOccupancy({ t: base, inside: 3, openSessions: 4 });
  store.queueOccupancy({ t: base + 60_000, inside: 5, openSessions: 6 });
  store.flush();
  const h = store.dwellHistogram(base - 1, base + 1, ['resolvable']);
  t.same(h.map((b) => b.count), [1, 2, 0, 0, 0, 0, 1]);
  t.equal(h.at(-1)!.le, null);
  t.same(store.occupancySeries(base, base + 60_000).map((o) => o.inside), [3, 5]);
});

t.test('a failed flush keeps its rows for the next one', async (t) => {
  const { store, db } = setup(t);
  const rec = { id: 1, addressHash: 'ab'.repeat(16), kind: 'resolvable' as const, firstSeen: 1, lastSeen: 2, dwellMs: 1,
    samples: 1, rssiMin: -1, rssiMean: -1, rssiMax: -1, rssiLast: -1, closed: true };
  store.queueSessions([rec]);
  db.exec('CREATE TRIGGER no_insert BEFORE INSERT ON sessions BEGIN SELECT RAISE(ABORT, \'disk full\'); END');
  t.throws(() => store.flush(), /disk full/);
  t.equal(store.pendingWrites, 1);
  db.exec('DROP TRIGGER no_insert');
  t.equal(store.flush(), 1);
  t.equal(store.counts().sessions, 1);
});

t.test('migrations run once, and a newer database is refused', async (t) => {
  const { path, db } = setup(t);
  const ids = (db.prepare('SELECT id FROM migrations').all() as { id: string }[]).map((r) => r.id);
  t.same(ids.slice(0, 1), ['001-sightings']);
  db.close();
  const again = openDatabase(path);
  t.equal((again.prepare('SELECT COUNT(*) AS n FROM migrations').get() as { n: number }).n, ids.length, 'reopening applies nothing twice');
  again.prepare('INSERT INTO migrations (id, applied_at) VALUES (?, ?)').run('999-from-the-future', 0);
  again.close();
  t.throws(() => openDatabase(path), /newer Waymark.*999-from-the-future/);
});

t.test('two stores on one file agree on the day salt', async (t) => {
  const { path, store } = setup(t);
  const db2 = openDatabase(path);
  t.teardown(() => db2.close());
  const other = new SightingsStore(db2);
  const a = other.saltFor(20_000);
  const b = store.saltFor(20_000);
  t.same(Buffer.from(b), Buffer.from(a), 'the second store reads the salt the first one made');
});
