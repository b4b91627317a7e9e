import t from 'tap';
import { formatAddress, type AirPacket } from '../../../sim/air.js';
import { HARD_VENUE, VirtualVenue, type VirtualVenueOptions } from '../../../sim/venue.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const fingerprint = (ps: AirPacket[]) => ps.map((p) => `${p.time} ${formatAddress(p.address)} ${p.eventType} ${Buffer.from(p.data).toString('hex')} ${p.rssi}`);

function run(options: VirtualVenueOptions, ms: number) {
  const venue = new VirtualVenue(options);
  return { venue, packets: venue.packetsUntil(venue.startMs + ms) };
}

t.test('the hard options, all off, leave the default venue exactly as it was', async (t) => {
  const plain = run({ seed: 9, startWithOccupants: true }, 10 * MIN);
  const zeros = run({
    seed: 9, startWithOccupants: true, receptionLoss: 0, fades: { perHour: 0, durationS: [1, 2] }, extraDevices: { second: 0 },
    passersByPerHour: 0, venueDevices: 0,
  }, 10 * MIN);
  t.same(fingerprint(zeros.packets), fingerprint(plain.packets));
});

t.test('the hard venue is deterministic', async (t) => {
  const a = run({ ...HARD_VENUE, seed: 'h' }, 20 * MIN);
  const b = run({ ...HARD_VENUE, seed: 'h' }, 20 * MIN);
  t.same(fingerprint(a.packets), fingerprint(b.packets));
  t.same(a.venue.truth.visits(), b.venue.truth.visits());
  t.same(a.venue.truth.passersBy(), b.venue.truth.passersBy());
});

t.test('reception loss and fades: packets on air are not all heard', async (t) => {
  const lossy = run({ seed: 4, startWithOccupants: true, receptionLoss: 0.3, fades: { perHour: 20, durationS: [1, 8] } }, 30 * MIN);
  let onAir = 0;
  let heard = 0;
  for (const a of lossy.venue.truth.addresses.values()) {
    if (a.role !== 'phone') continue;
    onAir += a.packetsOnAir;
    heard += a.packetsHeard;
  }
  const share = heard / onAir;
  t.ok(share > 0.6 && share < 0.75, `heard ${(share * 100).toFixed(1)} % of phone packets (30 % lost, fades, a few too weak)`);
  // a fade is a run of seconds without a packet from a device that is on air
  const last = new Map<string, number>();
  let longGaps = 0;
  for (const p of lossy.packets) {
    const a = formatAddress(p.address);
    const prev = last.get(a);
    if (prev !== undefined && p.time - prev > 5000 && lossy.venue.truth.address(a)!.role === 'phone') longGaps++;
    last.set(a, p.time);
  }
  t.ok(longGaps > 10, `${longGaps} silences over 5 s from phones on air`);
});

t.test('visitors with several devices, people passing the door and the venue\'s own devices', async (t) => {
  const { venue } = run({ ...HARD_VENUE, seed: 5, startWithOccupants: true }, 2 * HOUR);
  const visits = venue.truth.visits();
  const multi = visits.filter((v) => v.devices > 1);
  const share = multi.length / visits.length;
  t.ok(share > 0.2 && share < 0.4, `${(share * 100).toFixed(0)} % of visitors carry more than a phone`);
  for (const v of multi.slice(0, 10)) {
    const devices = new Set(v.addresses.map((a) => a.deviceId));
    t.ok(devices.size <= v.devices, 'each address belongs to one of the visitor\'s devices');
    t.ok(v.addresses.some((a) => a.role === 'wearable'), 'a wearable among them');
    t.ok(v.addresses.every((a) => a.visitorId === v.visitorId));
  }
  const passes = venue.truth.passersBy();
  t.ok(passes.length > 150 && passes.length < 330, `${passes.length} passers-by in 2 h at 120/h`);
  for (const p of passes.slice(0, 20)) {
    t.ok(p.disappearsAt - p.appearsAt < 60_000, 'a pass is short');
    t.ok(p.addresses.every((a) => a.role === 'passer-by' && a.kind === 'resolvable' && a.visitorId === null));
  }
  const own = [...venue.truth.addresses.values()].filter((a) => a.role === 'venue-device');
  const ownDevices = new Set(own.map((a) => a.deviceId));
  t.equal(ownDevices.size, 2, 'two venue devices');
  t.ok(own.length >= 2 * 6, `they rotate like phones (${own.length} addresses in 2 h)`);
  t.ok(own.every((a) => a.kind === 'resolvable'));
  // rotation at any moment: intervals between a phone's address changes spread over 4-20 min
  const spans = visits.flatMap((v) => v.addresses.filter((a) => a.role === 'phone' && Number.isFinite(a.validUntil)).map((a) => a.validUntil - a.validFrom));
  const inner = spans.filter((s) => s > 0 && s < 25 * MIN);
  t.ok(inner.some((s) => s < 8 * MIN) && inner.some((s) => s > 16 * MIN), 'rotation periods spread widely');
});

t.test('hard-venue options are checked', async (t) => {
  t.throws(() => new VirtualVenue({ receptionLoss: 1 }), RangeError);
  t.throws(() => new VirtualVenue({ extraDevices: { second: 1.5 } }), RangeError);
  t.throws(() => new VirtualVenue({ venueDevices: 1.5 }), RangeError);
  t.throws(() => new VirtualVenue({ passerByDistanceM: [5, 1] }), RangeError);
});
