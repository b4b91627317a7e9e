import t from 'tap';
import { AdvEventType, formatAddress, type AirPacket } from '../../../sim/air.js';
import { DEFAULT_VENUE_START_MS, VirtualVenue, type VirtualVenueOptions } from '../../../sim/venue.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fingerprint = (ps: AirPacket[]) => ps.map((p) => `${p.time} ${formatAddress(p.address)} ${p.addressType} ${p.eventType} ${hex(p.data)} ${p.rssi}`);

function run(options: VirtualVenueOptions, ms: number): { venue: VirtualVenue; packets: AirPacket[] } {
  const venue = new VirtualVenue(options);
  return { venue, packets: venue.packetsUntil(venue.startMs + ms) };
}

/** Walks AD structures; true when the lengths chain exactly to the end. */
function wellFormedAd(data: Uint8Array): boolean {
  let i = 0;
  while (i < data.length) {
    const len = data[i];
    if (len === 0) return false;
    i += 1 + len;
  }
  return i === data.length;
}

t.test('the same seed gives the same venue, another seed another', async (t) => {
  const a = run({ seed: 'same', startWithOccupants: true }, 2 * MIN);
  const b = run({ seed: 'same', startWithOccupants: true }, 2 * MIN);
  const c = run({ seed: 'other', startWithOccupants: true }, 2 * MIN);
  t.ok(a.packets.length > 1000);
  t.same(fingerprint(a.packets), fingerprint(b.packets));
  t.notSame(fingerprint(a.packets).slice(0, 50), fingerprint(c.packets).slice(0, 50));
  t.same(a.venue.truth.visits(), b.venue.truth.visits());
});

t.test('how packetsUntil is called does not change the packets', async (t) => {
  const whole = run({ seed: 5, startWithOccupants: true }, 20 * MIN).packets;
  const venue = new VirtualVenue({ seed: 5, startWithOccupants: true });
  // Ask the truth far ahead first: it must not disturb the packet stream.
  venue.occupancyAt(venue.startMs + 3 * HOUR);
  const pieces: AirPacket[] = [];
  for (let end = venue.startMs + 37_123; ; end += 37_123) {
    pieces.push(...venue.packetsUntil(Math.min(end, venue.startMs + 20 * MIN)));
    if (end >= venue.startMs + 20 * MIN) break;
  }
  t.equal(pieces.length, whole.length);
  t.same(fingerprint(pieces), fingerprint(whole));
  t.same([...venue.packets(venue.startMs + 21 * MIN, 250)].length > 0, true, 'the generator continues the stream');
});

t.test('packets come in time order within the asked window, with plausible fields', async (t) => {
  const { venue, packets } = run({ seed: 2, startWithOccupants: true }, 30 * MIN);
  t.equal(venue.startMs, DEFAULT_VENUE_START_MS);
  t.equal(venue.now, venue.startMs + 30 * MIN);
  let ordered = true;
  let bad = 0;
  for (let i = 0; i < packets.length; i++) {
    const p = packets[i];
    if (i > 0 && p.time < packets[i - 1].time) ordered = false;
    if (!Number.isInteger(p.time) || p.time < venue.startMs || p.time >= venue.now) bad++;
    if (p.address.length !== 6 || p.addressType !== 1 || p.data.length > 31 || !wellFormedAd(p.data)) bad++;
    if (!Number.isInteger(p.rssi) || p.rssi < -100 || p.rssi > 20) bad++;
  }
  t.ok(ordered, 'time order');
  t.equal(bad, 0, 'no packet out of window or malformed');
  t.same(venue.packetsUntil(venue.now - 1), [], 'asking for the past gives nothing');
});

t.test('visitors arrive as a Poisson process at the configured rate', async (t) => {
  const venue = new VirtualVenue({ seed: 3, arrivalsPerHour: 60 });
  const hours = 200;
  const visits = venue.truth.visitsArrivingBetween(venue.startMs, venue.startMs + hours * HOUR);
  const expected = 60 * hours;
  // 5 standard deviations of a Poisson count.
  t.ok(Math.abs(visits.length - expected) < 5 * Math.sqrt(expected), `${visits.length} arrivals, expected ${expected}`);
  const perHour = new Array(hours).fill(0);
  for (const v of visits) perHour[Math.floor((v.arrive - venue.startMs) / HOUR)]++;
  const m = perHour.reduce((a, b) => a + b, 0) / hours;
  const variance = perHour.reduce((a, b) => a + (b - m) ** 2, 0) / (hours - 1);
  t.ok(variance / m > 0.7 && variance / m < 1.35, `dispersion index ${variance / m} (1 for Poisson)`);
  const gaps = visits.slice(1).map((v, i) => v.arrive - visits[i].arrive);
  const meanGap = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  t.ok(Math.abs(meanGap - MIN) < 0.05 * MIN, `mean gap ${meanGap / 1000} s`);
});

t.test('visit lengths follow the dwell distribution', async (t) => {
  const logn = new VirtualVenue({ seed: 4, arrivalsPerHour: 120, dwell: { kind: 'lognormal', medianMin: 20, sigma: 0.5 } });
  const lv = logn.truth.visitsArrivingBetween(logn.startMs, logn.startMs + 50 * HOUR);
  const dwell = lv.map((v) => (v.leave - v.arrive) / MIN).sort((a, b) => a - b);
  const median = dwell[dwell.length >> 1];
  t.ok(Math.abs(median - 20) < 1, `median ${median} min`);
  const expo = new VirtualVenue({ seed: 4, arrivalsPerHour: 120, dwell: { kind: 'exponential', meanMin: 10 } });
  const ev = expo.truth.visitsArrivingBetween(expo.startMs, expo.startMs + 50 * HOUR);
  const mean = ev.reduce((a, v) => a + (v.leave - v.arrive) / MIN, 0) / ev.length;
  t.ok(Math.abs(mean - 10) < 0.6, `mean ${mean} min`);
  for (const v of [...lv.slice(0, 200), ...ev.slice(0, 200)]) {
    if (!(v.appearsAt < v.arrive && v.arrive <= v.leave && v.leave < v.disappearsAt)) t.fail(`visit ${v.visitorId} out of order`);
  }
});

t.test('occupancy: open empty or in steady state, and agreeing with the visit list', async (t) => {
  const empty = new VirtualVenue({ seed: 6 });
  t.equal(empty.occupancyAt(empty.startMs), 0, 'opens empty');
  // Steady state of M/G/inf: Poisson with mean rate x mean dwell = 60/h x 30 e^(0.8^2/2) min = 41.3.
  const counts: number[] = [];
  for (let seed = 0; seed < 20; seed++) {
    const v = new VirtualVenue({ seed, startWithOccupants: true });
    counts.push(v.occupancyAt(v.startMs));
  }
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  t.ok(Math.abs(mean - 41.3) < 5 * Math.sqrt(41.3 / 20), `mean occupancy at start ${mean}`);

  const venue = new VirtualVenue({ seed: 7, startWithOccupants: true });
  const all = venue.truth.visitsArrivingBetween(-Infinity, venue.startMs + 4 * HOUR);
  for (let k = 0; k < 40; k++) {
    const at = venue.startMs + k * 6 * MIN + 1234;
    const brute = all.filter((v) => v.arrive <= at && at < v.leave).length;
    t.equal(venue.occupancyAt(at), brute, `occupancy at +${k * 6} min`);
    const near = venue.occupancyAt(at, { insideRadiusM: 5 });
    const bruteNear = all.filter((v) => v.arrive <= at && at < v.leave && venue.truth.distanceAt(v.visitorId, at)! <= 5).length;
    t.equal(near, bruteNear);
  }
  const first = all.find((v) => v.arrive > venue.startMs)!;
  t.equal(venue.truth.distanceAt(first.visitorId, first.appearsAt - 1), null, 'out of range before appearing');
  t.equal(venue.truth.distanceAt(first.visitorId, first.appearsAt), 15);
  t.equal(venue.truth.distanceAt(first.visitorId, first.arrive), first.entranceDistanceM);
});

t.test('phones rotate their address about every 15 minutes, and the truth records it', async (t) => {
  const venue = new VirtualVenue({ seed: 8, arrivalsPerHour: 30, dwell: { kind: 'lognormal', medianMin: 90, sigma: 0.2 } });
  const packets = venue.packetsUntil(venue.startMs + 4 * HOUR);
  const truth = venue.truth;
  let unknown = 0;
  let outside = 0;
  for (const p of packets) {
    const a = truth.address(formatAddress(p.address));
    if (!a) unknown++;
    else if (p.time < a.firstHeard! || p.time > a.lastHeard!) outside++;
  }
  t.equal(unknown, 0, 'every heard address is in the truth');
  t.equal(outside, 0, 'every packet lies within its address truth');

  const finished = truth.visits().filter((v) => v.disappearsAt < venue.now);
  t.ok(finished.length > 30, `${finished.length} finished visits`);
  const lifetimes: number[] = [];
  for (const v of finished) {
    const addrs = v.addresses;
    t.ok(addrs.length >= 1);
    const expectedRotations = (v.disappearsAt - v.appearsAt) / (15 * MIN);
    if (Math.abs(addrs.length - 1 - expectedRotations) > 1.01) t.fail(`visit ${v.visitorId}: ${addrs.length} addresses for ${expectedRotations} periods`);
    for (let i = 0; i < addrs.length; i++) {
      const a = addrs[i];
      if (a.visitorId !== v.visitorId || a.role !== 'phone' || a.kind !== 'resolvable') t.fail('address belongs to the visit');
      if (!(a.validFrom <= a.firstOnAir && a.firstOnAir <= a.lastOnAir && a.lastOnAir <= a.validUntil)) t.fail(`address ${a.address} times`);
      if (i > 0) {
        if (addrs[i - 1].validUntil !== a.validFrom) t.fail('consecutive addresses hand over');
        if (i < addrs.length - 1) lifetimes.push(a.validUntil - a.validFrom);
      }
    }
  }
  t.ok(lifetimes.length > 50);
  t.ok(lifetimes.every((l) => l >= 14 * MIN && l <= 16 * MIN), 'full address lifetimes are 15 +- 1 min');
  const mean = lifetimes.reduce((a, b) => a + b, 0) / lifetimes.length;
  t.ok(Math.abs(mean - 15 * MIN) < 0.2 * MIN, `mean lifetime ${mean / MIN} min`);
  // Random phase: first address lifetimes spread over the whole period.
  const firstLives = finished.map((v) => (v.addresses[0].validUntil - v.addresses[0].validFrom) / MIN);
  t.ok(Math.min(...firstLives) < 5 && Math.max(...firstLives) > 10, 'first rotation at a random phase');
});

t.test('address kinds by their top bits: phones 0b01, beacons 0b11, transients 0b00', async (t) => {
  const { venue, packets } = run({ seed: 9, startWithOccupants: true, beacons: 4, transientsPerHour: 120 }, HOUR);
  const byRole = new Map<string, Set<number>>();
  for (const p of packets) {
    const a = venue.truth.address(formatAddress(p.address))!;
    const top = p.address[0] >> 6;
    if (!byRole.has(a.role)) byRole.set(a.role, new Set());
    byRole.get(a.role)!.add(top);
    const kind = top === 1 ? 'resolvable' : top === 3 ? 'static' : top === 0 ? 'non-resolvable' : 'reserved';
    if (kind !== a.kind) t.fail(`${a.address} is ${a.kind} but has top bits ${top}`);
  }
  t.same([...byRole.get('phone')!], [1]);
  t.same([...byRole.get('beacon')!], [3]);
  t.same([...byRole.get('transient')!], [0]);
  const beacons = [...venue.truth.addresses.values()].filter((a) => a.role === 'beacon');
  t.equal(beacons.length, 4, 'beacons keep one address');
  t.ok(beacons.every((b) => b.validUntil === Infinity && b.visitorId === null));
  const transients = [...venue.truth.addresses.values()].filter((a) => a.role === 'transient');
  t.ok(transients.length > 60, `${transients.length} transients`);
  t.ok(transients.every((a) => a.lastOnAir - a.firstOnAir <= 60_000));
});

t.test('payloads: exposure notifications rotate with the address, some phones answer scans', async (t) => {
  const { venue, packets } = run({ seed: 10, startWithOccupants: true }, HOUR);
  const en = packets.filter((p) => hex(p.data).startsWith('02011a03036ffd17166ffd'));
  t.ok(en.length > 0, 'exposure notification adverts');
  t.ok(en.every((p) => p.data.length === 31 && p.eventType === AdvEventType.ADV_NONCONN_IND));
  const rpiByAddress = new Map<string, Set<string>>();
  for (const p of en) {
    const key = formatAddress(p.address);
    if (!rpiByAddress.has(key)) rpiByAddress.set(key, new Set());
    rpiByAddress.get(key)!.add(hex(p.data.subarray(11)));
  }
  t.ok([...rpiByAddress.values()].every((s) => s.size === 1), 'one RPI per address');
  const allRpis = [...rpiByAddress.values()].map((s) => [...s][0]);
  t.equal(new Set(allRpis).size, allRpis.length, 'a new RPI with every address');

  const apple = packets.filter((p) => hex(p.data).startsWith('02011a0aff4c0010'));
  t.ok(apple.length > 0 && apple.every((p) => p.eventType === AdvEventType.ADV_IND));
  const rsp = packets.filter((p) => p.eventType === AdvEventType.SCAN_RSP);
  t.ok(rsp.length > 0, 'scan responses');
  let follows = 0;
  for (let i = 1; i < packets.length; i++) {
    if (packets[i].eventType !== AdvEventType.SCAN_RSP) continue;
    const prev = packets[i - 1];
    if (prev.address === packets[i].address && prev.time === packets[i].time &&
      (prev.eventType === AdvEventType.ADV_IND || prev.eventType === AdvEventType.ADV_SCAN_IND)) follows++;
  }
  t.equal(follows, rsp.length, 'each SCAN_RSP right after the scannable advert it answers');
  const scanRspAddresses = new Set(rsp.map((p) => formatAddress(p.address)));
  const phoneAddresses = new Set(packets.filter((p) => p.address[0] >> 6 === 1).map((p) => formatAddress(p.address)));
  const share = scanRspAddresses.size / phoneAddresses.size;
  t.ok(share > 0.1 && share < 0.4, `share of addresses with scan responses ${share}`);
  t.ok(venue.truth.visits().some((v) => v.profile === 'google-service'));
});

t.test('RSSI falls with distance as the path-loss model says', async (t) => {
  const venue = new VirtualVenue({ seed: 12, startWithOccupants: true, arrivalsPerHour: 120, deviceTxSpreadDb: 0, beacons: 0, transientsPerHour: 0 });
  const packets = venue.packetsUntil(venue.startMs + HOUR);
  const bins = [[0, 2], [2, 4], [4, 7], [7, 10], [10, 15]];
  const sums = bins.map(() => ({ rssi: 0, model: 0, n: 0 }));
  for (const p of packets) {
    if (p.eventType === AdvEventType.SCAN_RSP) continue;
    const a = venue.truth.address(formatAddress(p.address))!;
    const d = venue.truth.distanceAt(a.visitorId!, p.time)!;
    const b = bins.findIndex(([lo, hi]) => d >= lo && d < hi);
    if (b < 0) continue;
    sums[b].rssi += p.rssi;
    sums[b].model += -59 - 22 * Math.log10(Math.max(d, 0.3));
    sums[b].n++;
  }
  const means = sums.map((s) => s.rssi / s.n);
  t.ok(sums.every((s) => s.n > 200), `samples per bin ${sums.map((s) => s.n)}`);
  for (let i = 1; i < means.length; i++) t.ok(means[i] < means[i - 1] - 2, `bin ${i}: ${means[i].toFixed(1)} < ${means[i - 1].toFixed(1)}`);
  // Within 1 dB of the model (averaging over the bin; the sensitivity never bites at 15 m).
  sums.forEach((s, i) => t.ok(Math.abs(means[i] - s.model / s.n) < 1, `bin ${i}: ${means[i].toFixed(2)} vs model ${(s.model / s.n).toFixed(2)}`));
});

t.test('packets below the receiver sensitivity are on air but not heard', async (t) => {
  const { venue, packets } = run({ seed: 13, startWithOccupants: true, sensitivityDbm: -75 }, 30 * MIN);
  t.ok(packets.every((p) => p.rssi >= -75));
  const truths = [...venue.truth.addresses.values()];
  const onAir = truths.reduce((a, x) => a + x.packetsOnAir, 0);
  const heard = truths.reduce((a, x) => a + x.packetsHeard, 0);
  t.equal(heard, packets.length);
  t.ok(heard < onAir * 0.9, `heard ${heard} of ${onAir}`);
  t.ok(truths.some((x) => x.firstHeard === null), 'some addresses never heard');
});

t.test('advertising intervals are 100-1000 ms plus up to 10 ms of advDelay', async (t) => {
  const { packets } = run({ seed: 14, startWithOccupants: true, sensitivityDbm: -200 }, 10 * MIN);
  const last = new Map<string, number>();
  const gaps: number[] = [];
  for (const p of packets) {
    if (p.eventType === AdvEventType.SCAN_RSP) continue;
    const key = formatAddress(p.address);
    const prev = last.get(key);
    if (prev !== undefined) gaps.push(p.time - prev);
    last.set(key, p.time);
  }
  t.ok(gaps.length > 10_000);
  t.ok(Math.min(...gaps) >= 99 && Math.max(...gaps) <= 1011, `gaps ${Math.min(...gaps)}..${Math.max(...gaps)}`);
});

t.test('bad options are refused with the option named', async (t) => {
  t.throws(() => new VirtualVenue({ arrivalsPerHour: -1 }), { name: 'RangeError', message: /arrivalsPerHour/ });
  t.throws(() => new VirtualVenue({ advIntervalMs: [1000, 100] }), { message: /advIntervalMs/ });
  t.throws(() => new VirtualVenue({ rotationPeriodMin: 1, rotationJitterMin: 2 }), { message: /rotationJitterMin/ });
  t.throws(() => new VirtualVenue({ entranceDistanceM: [1, 30] }), { message: /entranceDistanceM/ });
  t.throws(() => new VirtualVenue({ beacons: 1.5 }), { message: /beacons/ });
  t.doesNotThrow(() => new VirtualVenue({ arrivalsPerHour: 0, transientsPerHour: 0, beacons: 0 }).packetsUntil(DEFAULT_VENUE_START_MS + MIN));
});
