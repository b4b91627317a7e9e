import t from 'tap';
import type { AddressKind, AdvertisingReport } from '../../../core/ports.js';
import { SightingsPipeline, type VisitsConfig } from '../../../kiosk/sightings/pipeline.js';
import type { VisitRecord } from '../../../kiosk/sightings/visits.js';
import { advertisingShape, shapesMeet } from '../../../kiosk/sightings/advertising-shape.js';

const salts = { saltFor: (day: number) => new Uint8Array(32).fill(day % 251) };
const T0 = Date.UTC(2026, 5, 1, 12);
const S = 1000;
const MIN = 60 * S;

/** Apple Nearby Info: company 0x004c, type 0x10; the last bytes change with every address. */
const nearby = (tag: number) => ({ manufacturerData: Uint8Array.from([0x4c, 0x00, 0x10, 0x05, 0x01, 0x18, tag, tag, tag]) });
/** Exposure Notification service data: a different shape. */
const exposure = (tag: number) => ({ serviceData: [{ uuid: 'fd6f', data: new Uint8Array(20).fill(tag) }] });

function pipelineWith(visits: Partial<VisitsConfig> = {}) {
  const p = new SightingsPipeline({
    filter: { kind: 'ema', timeConstantS: 4 }, sessionGapS: 15, insideRssiDbm: -85, visitorKinds: ['resolvable', 'non-resolvable'], salts,
    visits: { enabled: true, linkGapS: 10, rssiJumpDb: 10, minVisitS: 60, maxVisitH: 6, ...visits },
  });
  const closed: VisitRecord[] = [];
  p.onVisits((v) => closed.push(...v));
  return { p, closed };
}

interface Device {
  address: string;
  kind?: AddressKind;
  from: number;
  until: number;
  everyMs: number;
  rssi: number | ((t: number) => number);
  payload: Partial<AdvertisingReport>;
}

/** Feeds the devices' reports in time order, ticking every second, and finishes. */
function run(p: SightingsPipeline, devices: Device[], until: number, onTick?: (t: number) => void): void {
  const reports: AdvertisingReport[] = [];
  for (const d of devices) {
    for (let time = d.from; time <= d.until; time += d.everyMs) {
      reports.push({
        address: d.address, addressType: 'random', addressKind: d.kind ?? 'resolvable', time, connectable: true, serviceData: [],
        rssi: typeof d.rssi === 'number' ? d.rssi : d.rssi(time), ...d.payload,
      });
    }
  }
  reports.sort((a, b) => a.time - b.time);
  let next = T0;
  for (const r of reports) {
    while (next <= r.time) {
      p.tick(next);
      onTick?.(next);
      next += S;
    }
    p.ingest(r);
  }
  for (; next <= until; next += S) {
    p.tick(next);
    onTick?.(next);
  }
  p.finish();
}

t.test('a rotated address continues its visit: one visit, two addresses, the whole dwell', async (t) => {
  const { p, closed } = pipelineWith();
  run(p, [
    { address: '4a:00:00:00:00:01', from: T0, until: T0 + 10 * MIN, everyMs: 500, rssi: -60, payload: nearby(1) },
    { address: '5b:00:00:00:00:02', from: T0 + 10 * MIN + 500, until: T0 + 30 * MIN, everyMs: 500, rssi: -61, payload: nearby(2) },
  ], T0 + 31 * MIN);
  t.equal(closed.length, 1);
  t.match(closed[0], { firstSeen: T0, lastSeen: T0 + 30 * MIN, dwellMs: 30 * MIN, addresses: 2, class: 'visitor' });
  t.notMatch(JSON.stringify(closed[0]), /4a:|5b:/, 'no address in the record');
  t.match(p.stats().visits, { links: 1, visitors: 1, visitsOpen: 0 });
});

t.test('what does not continue the old address starts a visit of its own', async (t) => {
  const cases: [string, Partial<Device>, Partial<VisitsConfig>?][] = [
    ['another advertising shape', { payload: exposure(2) }],
    ['an RSSI jump over rssiJumpDb', { rssi: -80 }],
    ['another advertising interval class', { everyMs: 1000 }],
    ['a gap over linkGapS', { from: T0 + 10 * MIN + 11 * S }],
    ['another address kind', { kind: 'non-resolvable' }],
    ['visits off', {}, { enabled: false }],
  ];
  for (const [name, change, config] of cases) {
    const { p, closed } = pipelineWith(config);
    run(p, [
      { address: '4a:00:00:00:00:01', from: T0, until: T0 + 10 * MIN, everyMs: 400, rssi: -60, payload: nearby(1) },
      { address: '5b:00:00:00:00:02', from: T0 + 10 * MIN + 700, until: T0 + 30 * MIN, everyMs: 400, rssi: -60, payload: nearby(2), ...change },
    ], T0 + 31 * MIN);
    t.equal(closed.length, 2, name);
    t.same(closed.map((v) => v.addresses), [1, 1], name);
  }
});

t.test('simultaneous rotations of two devices are linked pair by pair', async (t) => {
  const { p, closed } = pipelineWith();
  run(p, [
    { address: '4a:00:00:00:00:01', from: T0, until: T0 + 5 * MIN, everyMs: 300, rssi: -55, payload: nearby(1) },
    { address: '4a:00:00:00:00:02', from: T0 + 100, until: T0 + 5 * MIN + 100, everyMs: 300, rssi: -72, payload: nearby(2) },
    // both rotate within a second of each other; the weaker one's new address shows first
    { address: '5b:00:00:00:00:03', from: T0 + 5 * MIN + 900, until: T0 + 20 * MIN, everyMs: 300, rssi: -55, payload: nearby(3) },
    { address: '5b:00:00:00:00:04', from: T0 + 5 * MIN + 600, until: T0 + 40 * MIN, everyMs: 300, rssi: -71, payload: nearby(4) },
  ], T0 + 41 * MIN);
  t.same(closed.map((v) => [v.addresses, v.dwellMs]).sort((a, b) => a[1]! - b[1]!), [[2, 20 * MIN], [2, 40 * MIN - 100]]);
});

t.test('a link is undone when the old address is heard again', async (t) => {
  const { p, closed } = pipelineWith();
  run(p, [
    // A falls silent for 6 s (a fade) while B, a new device that fits, arrives
    { address: '4a:00:00:00:00:01', from: T0, until: T0 + 2 * MIN, everyMs: 500, rssi: -60, payload: nearby(1) },
    { address: '4a:00:00:00:00:01', from: T0 + 2 * MIN + 6 * S, until: T0 + 4 * MIN, everyMs: 500, rssi: -60, payload: nearby(1) },
    { address: '5b:00:00:00:00:02', from: T0 + 2 * MIN + 300, until: T0 + 12 * MIN, everyMs: 500, rssi: -60, payload: nearby(2) },
  ], T0 + 13 * MIN);
  t.equal(closed.length, 2);
  t.same(closed.map((v) => v.addresses), [1, 1]);
  t.match(p.stats().visits, { links: 0, linksUndone: 1 });
});

t.test('passers-by, the venue\'s own devices and fixed beacons are not visitors', async (t) => {
  const { p, closed } = pipelineWith({ maxVisitH: 1 });
  run(p, [
    { address: '4a:00:00:00:00:01', from: T0, until: T0 + 30 * S, everyMs: 300, rssi: -70, payload: nearby(1) }, // short
    { address: '4a:00:00:00:00:02', from: T0, until: T0 + 5 * MIN, everyMs: 300, rssi: -92, payload: nearby(2) }, // weak
    { address: '4a:00:00:00:00:03', from: T0, until: T0 + 90 * MIN, everyMs: 1000, rssi: -60, payload: exposure(3) }, // too long
    { address: 'c1:00:00:00:00:04', kind: 'static', from: T0, until: T0 + 5 * MIN, everyMs: 1000, rssi: -50, payload: {} },
    { address: '4a:00:00:00:00:05', from: T0, until: T0 + 5 * MIN, everyMs: 300, rssi: -60, payload: nearby(5) },
  ], T0 + 91 * MIN);
  const byAddressCount = closed.map((v) => v.class).sort();
  t.same(byAddressCount, ['fixed', 'fixed', 'passer-by', 'passer-by', 'visitor']);
  t.match(p.stats().visits, { visitors: 1, passersBy: 2, fixedDevices: 2 });
});

t.test('occupancy counts a rotating device once', async (t) => {
  const { p } = pipelineWith();
  const seen: number[] = [];
  run(p, [
    { address: '4a:00:00:00:00:01', from: T0, until: T0 + 2 * MIN, everyMs: 500, rssi: -60, payload: nearby(1) },
    { address: '5b:00:00:00:00:02', from: T0 + 2 * MIN + 600, until: T0 + 4 * MIN, everyMs: 500, rssi: -60, payload: nearby(2) },
  ], T0 + 5 * MIN, (now) => {
    // after the new address settled (4 s) and while the old session is still open (15 s)
    if (now === T0 + 2 * MIN + 8 * S) {
      seen.push(p.visitsNow, p.stats().occupancyNow);
    }
  });
  t.same(seen, [1, 2], 'one visit, two open sessions');
});

t.test('advertising shapes: rotating bytes do not change them, the layout does', async (t) => {
  const base = { connectable: true, serviceData: [] };
  t.equal(advertisingShape({ ...base, ...nearby(1) }), advertisingShape({ ...base, ...nearby(9) }));
  t.not(advertisingShape({ ...base, ...nearby(1) }), advertisingShape({ ...base, ...exposure(1) }));
  t.not(advertisingShape({ ...base, ...nearby(1) }), advertisingShape({ ...base, connectable: false, ...nearby(1) }));
  t.not(advertisingShape({ ...base, localName: 'Buds' }), advertisingShape({ ...base, localName: 'Watch' }));
  t.ok(shapesMeet([1, 2], [2]));
  t.ok(shapesMeet([], [7]), 'nothing recorded: no objection');
  t.notOk(shapesMeet([1], [2]));
});
