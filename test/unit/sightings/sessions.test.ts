import t from 'tap';
import { SessionTracker } from '../../../kiosk/sightings/sessions.js';
import { AddressHasher } from '../../../kiosk/sightings/address-hash.js';
import { emaFilter } from '../../../kiosk/sightings/rssi-filter.js';

const salts = { saltFor: (day: number) => new Uint8Array(32).fill(day % 251) };
const T0 = Date.UTC(2026, 5, 1, 12);

function tracker(gapS = 30) {
  return new SessionTracker({ filter: emaFilter(2), gapMs: gapS * 1000, hasher: new AddressHasher(salts) });
}

t.test('reports within the gap extend one session; dwell and stats are kept', async (t) => {
  const s = tracker();
  for (let i = 0; i <= 100; i++) t.equal(s.observe('aa:bb:cc:dd:ee:01', 'resolvable', -60 - (i % 3), T0 + i * 1000), undefined);
  t.equal(s.openCount, 1);
  const [rec] = s.closeAll();
  t.equal(rec!.dwellMs, 100_000);
  t.equal(rec!.samples, 101);
  t.ok(rec!.rssiMin <= rec!.rssiMean && rec!.rssiMean <= rec!.rssiMax);
  t.ok(rec!.rssiMax <= -60 && rec!.rssiMin >= -62);
  t.match(rec!.addressHash, /^[0-9a-f]{32}$/);
  t.notMatch(JSON.stringify(rec), /aa:bb/);
});

t.test('a session closes after the gap timeout, at the sweep', async (t) => {
  const s = tracker(30);
  s.observe('aa:bb:cc:dd:ee:02', 'resolvable', -70, T0);
  s.observe('aa:bb:cc:dd:ee:02', 'resolvable', -70, T0 + 10_000);
  t.same(s.sweep(T0 + 40_000), [], 'exactly the gap after last seen: still open');
  const closed = s.sweep(T0 + 40_001);
  t.equal(closed.length, 1);
  t.equal(closed[0]!.lastSeen, T0 + 10_000);
  t.equal(closed[0]!.closed, true);
  t.equal(s.openCount, 0);
});

t.test('the same address back after the gap starts a new session', async (t) => {
  const s = tracker(30);
  s.observe('aa:bb:cc:dd:ee:03', 'resolvable', -70, T0);
  const closed = s.observe('aa:bb:cc:dd:ee:03', 'resolvable', -70, T0 + 31_000);
  t.ok(closed, 'old session returned as closed');
  t.equal(closed!.dwellMs, 0);
  t.equal(s.openCount, 1);
  t.equal(s.closedCount, 1);
});

t.test('an address rotation is a new session with an unlinkable hash', async (t) => {
  const s = tracker(30);
  s.observe('5a:00:00:00:00:01', 'resolvable', -65, T0);
  s.observe('5a:00:00:00:00:01', 'resolvable', -65, T0 + 60_000);
  // the phone rotates its resolvable private address
  s.observe('4b:11:22:33:44:55', 'resolvable', -65, T0 + 61_000);
  t.equal(s.openCount, 2);
  const recs = s.closeAll();
  t.equal(recs.length, 2);
  t.not(recs[0]!.id, recs[1]!.id);
  t.not(recs[0]!.addressHash, recs[1]!.addressHash);
});

t.test('occupancy counts open visitor sessions over the RSSI threshold', async (t) => {
  const s = tracker();
  s.observe('40:00:00:00:00:01', 'resolvable', -60, T0);
  s.observe('40:00:00:00:00:02', 'resolvable', -95, T0);
  s.observe('c0:00:00:00:00:03', 'static', -50, T0);
  t.equal(s.occupancy(-80, new Set(['resolvable'])), 1);
  t.equal(s.occupancy(-100, new Set(['resolvable'])), 2);
  t.equal(s.occupancy(-100, new Set(['resolvable', 'static'])), 3);
});

t.test('takeDirty returns only sessions changed since the last call', async (t) => {
  const s = tracker();
  s.observe('40:00:00:00:00:01', 'resolvable', -60, T0);
  s.observe('40:00:00:00:00:02', 'resolvable', -60, T0);
  t.equal(s.takeDirty().length, 2);
  t.equal(s.takeDirty().length, 0);
  s.observe('40:00:00:00:00:02', 'resolvable', -61, T0 + 500);
  const d = s.takeDirty();
  t.equal(d.length, 1);
  t.equal(d[0]!.closed, false);
});

t.test('the hash is keyed by the day: same address, another day, another hash', async (t) => {
  const h = new AddressHasher(salts);
  const a = h.hash('40:00:00:00:00:01', T0);
  t.equal(h.hash('40:00:00:00:00:01', T0 + 1000), a);
  t.equal(h.hash('40:00:00:00:00:01'.toUpperCase(), T0), a, 'case-insensitive');
  t.not(h.hash('40:00:00:00:00:01', T0 + 86_400_000), a);
});
