/**
 * A simulated venue as heard by a kiosk at its entrance: visitors arrive as a Poisson
 * process carrying phones that advertise under rotating private addresses, plus static
 * beacons and passing transient devices. It produces the AirPackets the kiosk would receive
 * and keeps the ground truth (who was there, under which addresses) to score the kiosk against.
 * `HARD_VENUE` turns on what makes joining a device's addresses into visits hard: reception
 * loss and fades, rotation at any moment, visitors with several devices, people passing the
 * door with phones, and the venue's own always-on devices.
 */

import { AdvEventType, type AirPacket, formatAddress } from './air.js';
import { SimRandom } from './rng.js';
import { Reception } from './reception.js';

/** 2026-01-01T00:00:00Z, the same default as ManualClock, so demos line up. */
export const DEFAULT_VENUE_START_MS = Date.UTC(2026, 0, 1);

export type DwellDistribution =
  /** Log-normal visit length: median `medianMin` minutes, log-space spread `sigma`. */
  | { kind: 'lognormal'; medianMin?: number; sigma?: number }
  /** Exponential visit length with mean `meanMin` minutes. */
  | { kind: 'exponential'; meanMin?: number };

export interface VirtualVenueOptions {
  /** Same seed, same venue: arrivals, addresses, payloads, RSSI noise. Default 1. */
  seed?: number | string;
  /** Simulated time at which the kiosk starts listening, ms since the Unix epoch. Default DEFAULT_VENUE_START_MS. */
  startMs?: number;
  /** Mean visitor arrivals per hour (a Poisson process). Default 60. */
  arrivalsPerHour?: number;
  /** How long visitors stay, from crossing the entrance in to crossing it out. Default lognormal, median 30 min, sigma 0.8. */
  dwell?: DwellDistribution;
  /** Longest visit in minutes; longer draws are cut to it. Default 720 (12 h). */
  maxDwellMin?: number;
  /**
   * Begin in steady state, with the visitors that would already be inside (the arrival
   * process is run from well before startMs). Default false: the venue opens empty.
   */
  startWithOccupants?: boolean;
  /** Mean time between a phone's address changes, minutes. Default 15. */
  rotationPeriodMin?: number;
  /** Each rotation interval is drawn uniformly in period ± this, minutes. Default 1. */
  rotationJitterMin?: number;
  /** Range from which each device draws its advertising interval, ms. Default [100, 1000]. */
  advIntervalMs?: [number, number];
  /** Share of phones that answer scan requests with a SCAN_RSP. Default 0.3. */
  scanResponseShare?: number;
  /** Mean RSSI at 1 m, dBm. Default -59. */
  txPowerAt1mDbm?: number;
  /** Path-loss exponent n in rssi = P1m - 10 n log10(d). Default 2.2. */
  pathLossExponent?: number;
  /** Standard deviation of the per-packet shadowing noise, dB. Default 4. */
  shadowingSigmaDb?: number;
  /** Standard deviation of each device's fixed transmit-power offset, dB. Default 2. */
  deviceTxSpreadDb?: number;
  /** Packets weaker than this are not received. Default -100 dBm. */
  sensitivityDbm?: number;
  /** Distance at which devices come into and drop out of radio range (street corner, doors), m. Default 15. */
  radioHorizonM?: number;
  /** Walking speeds are drawn in this range, m/s. Default [1.0, 1.5]. */
  walkingSpeedMps?: [number, number];
  /** Distance from the kiosk at which a visitor crosses the entrance, m. Default [0.5, 4]. */
  entranceDistanceM?: [number, number];
  /** Distance from the kiosk where a visitor spends the visit, m. Default [2, 12]. */
  stayDistanceM?: [number, number];
  /** Static beacons around the venue (random static addresses, always on air). Default 3. */
  beacons?: number;
  /** Beacons' fixed distances are drawn in this range, m. Default [1, 25]. */
  beaconDistanceM?: [number, number];
  /** Transient devices (non-resolvable addresses) passing by per hour. Default 20. */
  transientsPerHour?: number;
  /** How long a transient device stays on air, seconds. Default [5, 60]. */
  transientOnAirS?: [number, number];
  /** Share of received-strength packets lost anyway (collisions, the scanner on another channel), 0..1. Default 0. */
  receptionLoss?: number;
  /** Per device, spells in which nothing it sends is heard (a body or a shelf in between). Default none. */
  fades?: { perHour: number; durationS: [number, number] };
  /**
   * Visitors carrying more than a phone (a watch, earbuds, a tablet), each with its own
   * rotating address: the share carrying a second device, and of those the share carrying a
   * third. Default none.
   */
  extraDevices?: { second: number; third?: number };
  /** People passing the door with a phone (rotating addresses, visitors' payloads), per hour. Default 0. */
  passersByPerHour?: number;
  /** How close a passer-by comes to the kiosk, m. Default [4, 14]. */
  passerByDistanceM?: [number, number];
  /** The venue's own always-on devices with rotating addresses (a till tablet, a staff phone). Default 0. */
  venueDevices?: number;
  /** Their fixed distances, m. Default [1, 10]. */
  venueDeviceDistanceM?: [number, number];
}

/**
 * The hard venue (sightings.visit_* benches): 30 % of packets lost plus fades of 1-8 s about
 * every 3 min per device; addresses rotating every 4-20 min; 30 % of visitors carry a second
 * device and 10 % of those a third; 120 people an hour pass the door with a phone, 3-14 m away;
 * two always-on venue devices rotating like phones; 5 dB shadowing.
 */
export const HARD_VENUE: Readonly<VirtualVenueOptions> = {
  receptionLoss: 0.3,
  fades: { perHour: 20, durationS: [1, 8] },
  rotationPeriodMin: 12,
  rotationJitterMin: 8,
  extraDevices: { second: 0.3, third: 0.1 },
  passersByPerHour: 120,
  passerByDistanceM: [3, 14],
  venueDevices: 2,
  shadowingSigmaDb: 5,
};

export type DeviceRole = 'phone' | 'beacon' | 'transient' | 'wearable' | 'passer-by' | 'venue-device';
/** The LE random address sub-types, told apart by the two top bits of the most significant byte. */
export type AddressKind = 'resolvable' | 'static' | 'non-resolvable';
export type PayloadProfile = 'apple-nearby' | 'exposure-notification' | 'google-service' | 'ibeacon' | 'eddystone-uid' | 'microsoft-cdp' | 'wearable';

/** What really happened with one address. Times are ms since the Unix epoch. */
export interface AddressTruth {
  /** `aa:bb:cc:dd:ee:ff`, lowercase, most significant byte first. */
  address: string;
  kind: AddressKind;
  role: DeviceRole;
  deviceId: number;
  /** The visitor carrying the device (phone or wearable); null for beacons, transient devices, passers-by and venue devices. */
  visitorId: number | null;
  /** When the device started and stops using this address (Infinity for beacons). */
  validFrom: number;
  validUntil: number;
  /** First and last packet transmitted under this address (heard or not), and how many. */
  firstOnAir: number;
  lastOnAir: number;
  packetsOnAir: number;
  /** First and last packet the kiosk received, and how many; null until one is heard. */
  firstHeard: number | null;
  lastHeard: number | null;
  packetsHeard: number;
}

/** One visitor's visit. `arrive`..`leave` is when they count as present (inside the venue). */
export interface VisitTruth {
  visitorId: number;
  /** The phone comes within radio range, walking in. */
  appearsAt: number;
  /** Crosses the entrance inward: present from here. */
  arrive: number;
  /** Crosses the entrance outward: no longer present from here. */
  leave: number;
  /** The phone drops out of radio range, walking away. */
  disappearsAt: number;
  entranceDistanceM: number;
  stayDistanceM: number;
  profile: PayloadProfile;
  /** Devices the visitor carries: the phone, and extra ones in the hard venue. */
  devices: number;
  /** Addresses the visitor's devices have used so far in the simulation, in order (`deviceId` tells the devices apart). */
  addresses: AddressTruth[];
}

/** Someone passing the door with a phone: on air from horizon to horizon, never inside. */
export interface PassTruth {
  passerId: number;
  appearsAt: number;
  disappearsAt: number;
  closestM: number;
  addresses: AddressTruth[];
}

export interface OccupancyOptions {
  /** Count only present visitors within this distance of the kiosk. */
  insideRadiusM?: number;
}

/** Piecewise-linear distance from the kiosk over time. */
interface Trajectory {
  times: number[];
  distances: number[];
}

function distanceOn(tr: Trajectory, t: number, hint = 0): { d: number; leg: number } {
  const { times, distances } = tr;
  let i = hint;
  while (i < times.length - 2 && t >= times[i + 1]) i++;
  const t0 = times[i];
  const t1 = times[i + 1];
  if (t <= t0) return { d: distances[i], leg: i };
  if (t >= t1) return { d: distances[i + 1], leg: i };
  return { d: distances[i] + ((distances[i + 1] - distances[i]) * (t - t0)) / (t1 - t0), leg: i };
}

/** One advertising device; all its randomness comes from its own stream. */
interface Radio {
  /** Orders devices whose adverts fall on the same instant; fixed by the device's identity. */
  id: number;
  role: DeviceRole;
  visitorId: number | null;
  visit: VisitTruth | null;
  /** Where its addresses are recorded besides the truth's map (a visit or a pass). */
  owner: { addresses: AddressTruth[] } | null;
  /** Loss and fades on the way to the kiosk (hard venue), else null. */
  reception: Reception | null;
  rng: SimRandom;
  trajectory: Trajectory;
  leg: number;
  onAirFrom: number;
  onAirUntil: number;
  intervalMs: number;
  nextTime: number;
  profile: PayloadProfile;
  eventType: AdvEventType;
  txOffsetDb: number;
  addressKind: AddressKind;
  address: Uint8Array;
  addressText: string;
  addressFrom: number;
  rotateAt: number;
  data: Uint8Array;
  scanRsp: Uint8Array | null;
  /** Truth record of the current address, created when it first goes on air. */
  truth: AddressTruth | null;
  scanResponder: boolean;
}

const PHONE_PROFILES: readonly (readonly [PayloadProfile, number])[] = [
  ['apple-nearby', 0.55],
  ['exposure-notification', 0.25],
  ['google-service', 0.2],
];

/** What a visitor's second or third device advertises. */
const COMPANION_PROFILES: readonly (readonly [PayloadProfile, number])[] = [
  ['apple-nearby', 0.4],
  ['wearable', 0.6],
];

const NO_FIXED_BYTES = new Uint8Array(0);

function randomAddress(rng: SimRandom, kind: AddressKind): Uint8Array {
  const a = rng.bytes(6);
  const top = kind === 'resolvable' ? 0x40 : kind === 'static' ? 0xc0 : 0x00;
  a[0] = (a[0] & 0x3f) | top;
  return a;
}

/** Builds the AD structures for a profile; the random parts are redrawn with every new address. */
function advertisingData(rng: SimRandom, profile: PayloadProfile, fixed: Uint8Array): Uint8Array {
  switch (profile) {
    case 'apple-nearby': {
      // Flags | Manufacturer Specific (Apple 0x004C): Nearby Info 0x10, len 5, status, action, 3-byte auth tag.
      const r = rng.bytes(4);
      return Uint8Array.from([0x02, 0x01, 0x1a, 0x0a, 0xff, 0x4c, 0x00, 0x10, 0x05, 0x01 + (r[0] & 0x1f), 0x18 | (r[0] >> 7), r[1], r[2], r[3]]);
    }
    case 'exposure-notification': {
      // Flags | 16-bit UUIDs: 0xFD6F | Service Data 0xFD6F: 16-byte RPI + 4-byte encrypted metadata (31 bytes).
      const out = new Uint8Array(31);
      out.set([0x02, 0x01, 0x1a, 0x03, 0x03, 0x6f, 0xfd, 0x17, 0x16, 0x6f, 0xfd], 0);
      out.set(rng.bytes(20), 11);
      return out;
    }
    case 'google-service': {
      // Flags | 16-bit UUIDs: 0xFEF3 | Service Data 0xFEF3 with 16 rotating bytes (27 bytes).
      const out = new Uint8Array(27);
      out.set([0x02, 0x01, 0x1a, 0x03, 0x03, 0xf3, 0xfe, 0x13, 0x16, 0xf3, 0xfe], 0);
      out.set(rng.bytes(16), 11);
      return out;
    }
    case 'ibeacon': {
      // Flags | Apple iBeacon: 0x02 0x15, 16-byte UUID, major, minor, measured power -59 (30 bytes).
      const out = new Uint8Array(30);
      out.set([0x02, 0x01, 0x06, 0x1a, 0xff, 0x4c, 0x00, 0x02, 0x15], 0);
      out.set(fixed.subarray(0, 20), 9);
      out[29] = 0xc5;
      return out;
    }
    case 'eddystone-uid': {
      // Flags | 16-bit UUIDs: 0xFEAA | Service Data: UID frame, tx -18 dBm at 0 m, 10-byte namespace, 6-byte instance (31 bytes).
      const out = new Uint8Array(31);
      out.set([0x02, 0x01, 0x06, 0x03, 0x03, 0xaa, 0xfe, 0x17, 0x16, 0xaa, 0xfe, 0x00, 0xee], 0);
      out.set(fixed.subarray(0, 16), 13);
      return out;
    }
    case 'wearable': {
      // Flags | Service Data 0xFE2C (Google Fast Pair): 3-byte model id + 8 rotating bytes | Manufacturer (Google 0x00E0) (24 bytes).
      const out = new Uint8Array(24);
      out.set([0x02, 0x01, 0x06, 0x0e, 0x16, 0x2c, 0xfe, 0x00, 0x0c, 0x8a], 0);
      out.set(rng.bytes(8), 10);
      out.set([0x05, 0xff, 0xe0, 0x00, 0x05], 18);
      out[23] = rng.bytes(1)[0];
      return out;
    }
    case 'microsoft-cdp': {
      // Manufacturer Specific (Microsoft 0x0006): CDP beacon header, 23 random bytes (31 bytes).
      const out = new Uint8Array(31);
      out.set([0x1e, 0xff, 0x06, 0x00, 0x01, 0x09, 0x20, 0x02], 0);
      out.set(rng.bytes(23), 8);
      return out;
    }
  }
}

function scanResponseData(rng: SimRandom, profile: PayloadProfile): Uint8Array {
  // TX Power Level | Manufacturer Specific (Apple or Google) with 8 bytes rotating with the address.
  const company = profile === 'apple-nearby' ? [0x4c, 0x00] : [0xe0, 0x00];
  const out = new Uint8Array(15);
  out.set([0x02, 0x0a, 0x0c, 0x0b, 0xff, ...company], 0);
  out.set(rng.bytes(8), 7);
  return out;
}

function eventTypeOf(profile: PayloadProfile): AdvEventType {
  switch (profile) {
    case 'apple-nearby':
      return AdvEventType.ADV_IND;
    case 'google-service':
      return AdvEventType.ADV_SCAN_IND;
    default:
      return AdvEventType.ADV_NONCONN_IND;
  }
}

function addressKindOf(address: Uint8Array): AddressKind {
  const top = address[0] >> 6;
  return top === 1 ? 'resolvable' : top === 3 ? 'static' : 'non-resolvable';
}

/** Radios ordered by next advertisement; ties broken by id so the order never depends on insertion. */
class RadioHeap {
  items: Radio[] = [];

  static before(a: Radio, b: Radio): boolean {
    return a.nextTime < b.nextTime || (a.nextTime === b.nextTime && a.id < b.id);
  }

  push(r: Radio): void {
    const items = this.items;
    let i = items.length;
    items.push(r);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!RadioHeap.before(r, items[p])) break;
      items[i] = items[p];
      i = p;
    }
    items[i] = r;
  }

  /** Restores order after the top's nextTime grew. */
  siftDownTop(): void {
    const items = this.items;
    const n = items.length;
    const r = items[0];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const rr = l + 1;
      const c = rr < n && RadioHeap.before(items[rr], items[l]) ? rr : l;
      if (!RadioHeap.before(items[c], r)) break;
      items[i] = items[c];
      i = c;
    }
    items[i] = r;
  }

  popTop(): void {
    const items = this.items;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      this.siftDownTop();
    }
  }
}

interface Resolved {
  seed: number | string;
  startMs: number;
  arrivalsPerMs: number;
  dwell: DwellDistribution;
  maxDwellMs: number;
  startWithOccupants: boolean;
  rotationMs: number;
  rotationJitterMs: number;
  advIntervalMs: [number, number];
  scanResponseShare: number;
  txPowerAt1mDbm: number;
  pathLossExponent: number;
  shadowingSigmaDb: number;
  deviceTxSpreadDb: number;
  sensitivityDbm: number;
  radioHorizonM: number;
  walkingSpeedMps: [number, number];
  entranceDistanceM: [number, number];
  stayDistanceM: [number, number];
  beacons: number;
  beaconDistanceM: [number, number];
  transientsPerMs: number;
  transientOnAirMs: [number, number];
  receptionLoss: number;
  fades: { perHour: number; durationS: [number, number] };
  extraDevices: { second: number; third: number };
  passersByPerMs: number;
  passerByDistanceM: [number, number];
  venueDevices: number;
  venueDeviceDistanceM: [number, number];
}

function checkRange(name: string, r: [number, number], min: number): void {
  if (!Array.isArray(r) || r.length !== 2 || !(r[0] >= min) || !(r[1] >= r[0]) || !Number.isFinite(r[1])) {
    throw new RangeError(`${name} must be [low, high] with ${min} <= low <= high, got ${JSON.stringify(r)}`);
  }
}

function checkNumber(name: string, x: number, min: number): void {
  if (!Number.isFinite(x) || x < min) throw new RangeError(`${name} must be a number >= ${min}, got ${x}`);
}

function resolve(o: VirtualVenueOptions): Resolved {
  const r: Resolved = {
    seed: o.seed ?? 1,
    startMs: o.startMs ?? DEFAULT_VENUE_START_MS,
    arrivalsPerMs: (o.arrivalsPerHour ?? 60) / 3_600_000,
    dwell: o.dwell ?? { kind: 'lognormal' },
    maxDwellMs: (o.maxDwellMin ?? 720) * 60_000,
    startWithOccupants: o.startWithOccupants ?? false,
    rotationMs: (o.rotationPeriodMin ?? 15) * 60_000,
    rotationJitterMs: (o.rotationJitterMin ?? 1) * 60_000,
    advIntervalMs: o.advIntervalMs ?? [100, 1000],
    scanResponseShare: o.scanResponseShare ?? 0.3,
    txPowerAt1mDbm: o.txPowerAt1mDbm ?? -59,
    pathLossExponent: o.pathLossExponent ?? 2.2,
    shadowingSigmaDb: o.shadowingSigmaDb ?? 4,
    deviceTxSpreadDb: o.deviceTxSpreadDb ?? 2,
    sensitivityDbm: o.sensitivityDbm ?? -100,
    radioHorizonM: o.radioHorizonM ?? 15,
    walkingSpeedMps: o.walkingSpeedMps ?? [1.0, 1.5],
    entranceDistanceM: o.entranceDistanceM ?? [0.5, 4],
    stayDistanceM: o.stayDistanceM ?? [2, 12],
    beacons: o.beacons ?? 3,
    beaconDistanceM: o.beaconDistanceM ?? [1, 25],
    transientsPerMs: (o.transientsPerHour ?? 20) / 3_600_000,
    transientOnAirMs: (o.transientOnAirS ?? [5, 60]).map((s) => s * 1000) as [number, number],
    receptionLoss: o.receptionLoss ?? 0,
    fades: o.fades ?? { perHour: 0, durationS: [0, 0] },
    extraDevices: { second: o.extraDevices?.second ?? 0, third: o.extraDevices?.third ?? 0 },
    passersByPerMs: (o.passersByPerHour ?? 0) / 3_600_000,
    passerByDistanceM: o.passerByDistanceM ?? [4, 14],
    venueDevices: o.venueDevices ?? 0,
    venueDeviceDistanceM: o.venueDeviceDistanceM ?? [1, 10],
  };
  checkNumber('startMs', r.startMs, 0);
  checkNumber('arrivalsPerHour', r.arrivalsPerMs, 0);
  checkNumber('maxDwellMin', r.maxDwellMs, 0);
  checkNumber('rotationPeriodMin', r.rotationMs, 1000);
  checkNumber('rotationJitterMin', r.rotationJitterMs, 0);
  if (r.rotationJitterMs >= r.rotationMs) throw new RangeError('rotationJitterMin must be smaller than rotationPeriodMin');
  checkRange('advIntervalMs', r.advIntervalMs, 20);
  checkNumber('scanResponseShare', r.scanResponseShare, 0);
  checkNumber('pathLossExponent', r.pathLossExponent, 0);
  checkNumber('shadowingSigmaDb', r.shadowingSigmaDb, 0);
  checkNumber('deviceTxSpreadDb', r.deviceTxSpreadDb, 0);
  checkNumber('radioHorizonM', r.radioHorizonM, 0.1);
  checkRange('walkingSpeedMps', r.walkingSpeedMps, 0.1);
  checkRange('entranceDistanceM', r.entranceDistanceM, 0);
  checkRange('stayDistanceM', r.stayDistanceM, 0);
  checkRange('beaconDistanceM', r.beaconDistanceM, 0);
  checkRange('transientOnAirS', r.transientOnAirMs, 0);
  checkNumber('transientsPerHour', r.transientsPerMs, 0);
  if (!Number.isInteger(r.beacons) || r.beacons < 0) throw new RangeError(`beacons must be a non-negative integer, got ${r.beacons}`);
  if (!(r.receptionLoss >= 0 && r.receptionLoss < 1)) throw new RangeError(`receptionLoss must be in [0, 1), got ${r.receptionLoss}`);
  checkNumber('fades.perHour', r.fades.perHour, 0);
  checkRange('fades.durationS', r.fades.durationS, 0);
  for (const k of ['second', 'third'] as const) {
    if (!(r.extraDevices[k] >= 0 && r.extraDevices[k] <= 1)) throw new RangeError(`extraDevices.${k} must be in [0, 1], got ${r.extraDevices[k]}`);
  }
  checkNumber('passersByPerHour', r.passersByPerMs, 0);
  checkRange('passerByDistanceM', r.passerByDistanceM, 0);
  if (!Number.isInteger(r.venueDevices) || r.venueDevices < 0) throw new RangeError(`venueDevices must be a non-negative integer, got ${r.venueDevices}`);
  checkRange('venueDeviceDistanceM', r.venueDeviceDistanceM, 0);
  if (r.entranceDistanceM[1] > r.radioHorizonM) throw new RangeError('entranceDistanceM must lie within radioHorizonM');
  if (r.dwell.kind === 'lognormal') {
    checkNumber('dwell.medianMin', r.dwell.medianMin ?? 30, 0);
    checkNumber('dwell.sigma', r.dwell.sigma ?? 0.8, 0);
  } else {
    checkNumber('dwell.meanMin', r.dwell.meanMin ?? 30, 0);
  }
  return r;
}

/** Ground truth about the simulated venue, for scoring what the kiosk logged. */
export class VenueTruth {
  /** Every address that has been on air in the simulated time so far, by `aa:bb:..` text. */
  readonly addresses = new Map<string, AddressTruth>();
  readonly #visits: VisitTruth[];
  readonly #passes: PassTruth[];
  readonly #trajectories: Map<number, Trajectory>;
  readonly #venue: VirtualVenue;
  #ensure: (t: number) => void;
  #maxStayMs: () => number;

  /** @internal built by VirtualVenue */
  constructor(
    venue: VirtualVenue, visits: VisitTruth[], passes: PassTruth[], trajectories: Map<number, Trajectory>,
    ensure: (t: number) => void, maxStayMs: () => number,
  ) {
    this.#venue = venue;
    this.#visits = visits;
    this.#passes = passes;
    this.#trajectories = trajectories;
    this.#ensure = ensure;
    this.#maxStayMs = maxStayMs;
  }

  /** People who passed the door (hard venue) and came on air by the venue's current simulated time. */
  passersBy(): PassTruth[] {
    const now = this.#venue.now;
    return this.#passes.filter((p) => p.appearsAt < now);
  }

  address(text: string): AddressTruth | undefined {
    return this.addresses.get(text.toLowerCase());
  }

  /** Visits whose phone has come on air by the venue's current simulated time (and after its start), by arrival. */
  visits(): VisitTruth[] {
    const now = this.#venue.now;
    const start = this.#venue.startMs;
    return this.#visits.filter((v) => v.appearsAt < now && v.disappearsAt >= start);
  }

  /** Visits arriving in [fromMs, toMs), simulating the arrival process that far if needed. */
  visitsArrivingBetween(fromMs: number, toMs: number): VisitTruth[] {
    this.#ensure(toMs);
    return this.#visits.filter((v) => v.arrive >= fromMs && v.arrive < toMs);
  }

  /** Visitors present at `timeMs` (arrive <= t < leave), optionally only those within a radius. */
  presentAt(timeMs: number, options: OccupancyOptions = {}): VisitTruth[] {
    this.#ensure(timeMs);
    const visits = this.#visits;
    // Visits are sorted by arrival; walk back from the last arrival at or before t.
    let hi = visits.length;
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (visits[mid].arrive <= timeMs) lo = mid + 1;
      else hi = mid;
    }
    const earliest = timeMs - this.#maxStayMs();
    const out: VisitTruth[] = [];
    for (let i = lo - 1; i >= 0 && visits[i].arrive >= earliest; i--) {
      const v = visits[i];
      if (v.leave <= timeMs) continue;
      if (options.insideRadiusM !== undefined && this.distanceAt(v.visitorId, timeMs)! > options.insideRadiusM) continue;
      out.push(v);
    }
    return out.reverse();
  }

  /** How many visitors are present at `timeMs`: crossed the entrance in and not yet out. */
  occupancyAt(timeMs: number, options: OccupancyOptions = {}): number {
    return this.presentAt(timeMs, options).length;
  }

  /** A visitor's distance from the kiosk, or null when their phone is not within radio range. */
  distanceAt(visitorId: number, timeMs: number): number | null {
    const tr = this.#trajectories.get(visitorId);
    if (!tr || timeMs < tr.times[0] || timeMs > tr.times[tr.times.length - 1]) return null;
    return distanceOn(tr, timeMs).d;
  }
}

/**
 * A deterministic simulated venue. Call `packetsUntil(t)` repeatedly with growing times to
 * get every packet the kiosk receives, in time order; `truth` says what really happened.
 *
 * Model:
 * - Visitors cross the entrance (`arrive`) as a Poisson process. Each walks in from the radio
 *   horizon to the entrance, passing the kiosk at a drawn distance, walks to a drawn spot,
 *   stays, walks back out and drops out of range at the horizon. Distance from the kiosk is
 *   piecewise linear in time.
 * - Each phone advertises every `interval + advDelay` ms (interval drawn per phone, advDelay
 *   0-10 ms per event as in the spec) under a resolvable private address (top bits 0b01),
 *   redrawn about every `rotationPeriodMin` with a random first phase; its payload's random
 *   parts change with it.
 * - RSSI = P1m + device offset - 10 n log10(d) + N(0, sigma), rounded; packets weaker than
 *   the sensitivity are on air (in the truth) but not received.
 * - Beacons: random static addresses (0b11), fixed distances, always on air.
 *   Transients: non-resolvable addresses (0b00), on air for a short pass-by.
 * Packet times are whole milliseconds. Packet address and data arrays are shared between
 * packets of the same address: treat them as read-only.
 */
export class VirtualVenue {
  readonly options: Readonly<Resolved>;
  readonly truth: VenueTruth;
  #heap = new RadioHeap();
  #now: number;
  #visits: VisitTruth[] = [];
  #passes: PassTruth[] = [];
  /** The hard venue's own random streams, apart from the default ones so those stay as they were. */
  readonly #hardSeed: string;
  #extraDevices: SimRandom | null = null;
  #passers: SimRandom | null = null;
  #nextPasser = Infinity;
  #passerCount = 0;
  #trajectories = new Map<number, Trajectory>();
  #arrivals: SimRandom;
  #nextArrival: number;
  #visitorCount = 0;
  #transients: SimRandom;
  #nextTransient: number;
  #transientCount = 0;
  #maxStayMs = 0;
  /** Arrivals are generated this far ahead of packets, to cover the walk in from the horizon. */
  #lookaheadMs: number;
  #tenN: number;

  constructor(options: VirtualVenueOptions = {}) {
    const o = resolve(options);
    this.options = o;
    this.#now = o.startMs;
    this.#tenN = 10 * o.pathLossExponent;
    const root = new SimRandom(o.seed);
    const beaconRng = root.fork('beacons');
    this.#arrivals = root.fork('arrivals');
    this.#transients = root.fork('transients');
    this.#lookaheadMs = ((o.radioHorizonM - o.entranceDistanceM[0]) / o.walkingSpeedMps[0]) * 1000 + 1000;
    this.truth = new VenueTruth(this, this.#visits, this.#passes, this.#trajectories, (t) => this.#ensureArrivalsThrough(t), () => this.#maxStayMs);
    this.#hardSeed = `hard:${typeof o.seed === 'number' ? `n${o.seed}` : `s${o.seed}`}`;
    if (o.extraDevices.second > 0) this.#extraDevices = new SimRandom(`${this.#hardSeed}:extra-devices`);
    if (o.passersByPerMs > 0) {
      this.#passers = new SimRandom(`${this.#hardSeed}:passers-by`);
      this.#nextPasser = o.startMs - 60_000 + this.#passers.exponential(o.passersByPerMs);
    }

    const warmupMs = o.startWithOccupants ? Math.min(this.#dwellQuantileMs(), o.maxDwellMs) + this.#lookaheadMs : 0;
    this.#nextArrival = o.arrivalsPerMs > 0 ? o.startMs - warmupMs + this.#arrivals.exponential(o.arrivalsPerMs) : Infinity;
    this.#nextTransient =
      o.transientsPerMs > 0 ? o.startMs - o.transientOnAirMs[1] + this.#transients.exponential(o.transientsPerMs) : Infinity;

    for (let i = 0; i < o.beacons; i++) this.#addBeacon(i, beaconRng.fork(i));
    if (o.venueDevices > 0) {
      const venueRng = new SimRandom(`${this.#hardSeed}:venue-devices`);
      for (let i = 0; i < o.venueDevices; i++) {
        const rng = venueRng.fork(i);
        const d = rng.uniform(o.venueDeviceDistanceM[0], o.venueDeviceDistanceM[1]);
        this.#addRadio(5e9 + i, 'venue-device', rng, { times: [-Infinity, Infinity], distances: [d, d] }, rng.pickWeighted(PHONE_PROFILES), 'resolvable', null);
      }
    }
  }

  /** Simulated time up to which packets have been produced (exclusive). */
  get now(): number {
    return this.#now;
  }

  get startMs(): number {
    return this.options.startMs;
  }

  /** Shorthand for `truth.occupancyAt`. */
  occupancyAt(timeMs: number, options: OccupancyOptions = {}): number {
    return this.truth.occupancyAt(timeMs, options);
  }

  /** Every received packet with a time in [now, untilMs), in time order; then `now` = untilMs. */
  packetsUntil(untilMs: number): AirPacket[] {
    const out: AirPacket[] = [];
    this.forEachPacketUntil(untilMs, (p) => out.push(p));
    return out;
  }

  /** Like packetsUntil, without building the array. */
  forEachPacketUntil(untilMs: number, onPacket: (packet: AirPacket) => void): void {
    if (!(untilMs > this.#now)) return;
    this.#ensureArrivalsThrough(untilMs + this.#lookaheadMs);
    this.#ensureTransientsThrough(untilMs);
    this.#ensurePassersByThrough(untilMs);
    const heap = this.#heap;
    const o = this.options;
    const sensitivity = o.sensitivityDbm;
    const sigma = o.shadowingSigmaDb;
    const p1m = o.txPowerAt1mDbm;
    const tenN = this.#tenN;
    while (heap.items.length > 0) {
      const r = heap.items[0];
      const t = r.nextTime;
      if (t >= untilMs) break;
      if (t > r.onAirUntil) {
        heap.popTop();
        continue;
      }
      if (t >= r.rotateAt) this.#rotate(r, t);
      let truth = r.truth;
      const time = Math.floor(t);
      if (truth === null) truth = this.#openAddressTruth(r, time);
      truth.lastOnAir = time;
      truth.packetsOnAir++;

      let d: number;
      if (r.role === 'beacon' || r.role === 'venue-device') {
        d = r.trajectory.distances[0];
      } else {
        // Inline walk along the legs: this runs once per packet.
        const { times, distances } = r.trajectory;
        let i = r.leg;
        while (i < times.length - 2 && t >= times[i + 1]) i++;
        r.leg = i;
        const t0 = times[i];
        const t1 = times[i + 1];
        d = t <= t0 ? distances[i] : t >= t1 ? distances[i + 1] : distances[i] + ((distances[i + 1] - distances[i]) * (t - t0)) / (t1 - t0);
      }
      const mean = p1m + r.txOffsetDb - tenN * Math.log10(d < 0.3 ? 0.3 : d);
      const rssi = Math.round(mean + r.rng.normal(0, sigma));
      if (rssi >= sensitivity && (r.reception === null || !r.reception.lost(t))) {
        if (truth.firstHeard === null) truth.firstHeard = time;
        truth.lastHeard = time;
        truth.packetsHeard++;
        onPacket({ time, address: r.address, addressType: 1, eventType: r.eventType, data: r.data, rssi: rssi > 20 ? 20 : rssi });
        if (r.scanRsp !== null) {
          // An active scanner asks every advert it hears; the answer is on air either way.
          const rssi2 = Math.round(mean + r.rng.normal(0, sigma));
          truth.packetsOnAir++;
          if (rssi2 >= sensitivity && (r.reception === null || !r.reception.lost(t))) {
            truth.packetsHeard++;
            onPacket({ time, address: r.address, addressType: 1, eventType: AdvEventType.SCAN_RSP, data: r.scanRsp, rssi: rssi2 > 20 ? 20 : rssi2 });
          }
        }
      }
      r.nextTime = t + r.intervalMs + r.rng.uniform(0, 10);
      heap.siftDownTop();
    }
    this.#now = untilMs;
  }

  /** Streams packets up to untilMs, simulating `stepMs` at a time. */
  *packets(untilMs: number, stepMs = 1000): Generator<AirPacket> {
    while (this.#now < untilMs) yield* this.packetsUntil(Math.min(untilMs, this.#now + stepMs));
  }

  #dwellQuantileMs(): number {
    const d = this.options.dwell;
    // ~99.99th percentile: visits longer than this before startMs are too rare to matter.
    if (d.kind === 'lognormal') return (d.medianMin ?? 30) * Math.exp(3.8 * (d.sigma ?? 0.8)) * 60_000;
    return (d.meanMin ?? 30) * 9.3 * 60_000;
  }

  #drawDwellMs(rng: SimRandom): number {
    const d = this.options.dwell;
    const ms =
      d.kind === 'lognormal'
        ? rng.lognormal(Math.log((d.medianMin ?? 30) * 60_000), d.sigma ?? 0.8)
        : rng.exponential(1 / ((d.meanMin ?? 30) * 60_000));
    return Math.min(ms, this.options.maxDwellMs);
  }

  #ensureArrivalsThrough(t: number): void {
    const o = this.options;
    while (this.#nextArrival <= t) {
      const arrive = this.#nextArrival;
      const visitorId = this.#visitorCount++;
      const rng = this.#arrivals.fork(visitorId);
      this.#nextArrival = arrive + this.#arrivals.exponential(o.arrivalsPerMs);
      this.#addVisitor(visitorId, arrive, rng);
    }
  }

  #ensureTransientsThrough(t: number): void {
    const o = this.options;
    while (this.#nextTransient <= t) {
      const appears = this.#nextTransient;
      const index = this.#transientCount++;
      const rng = this.#transients.fork(index);
      this.#nextTransient = appears + this.#transients.exponential(o.transientsPerMs);
      const onAir = rng.uniform(o.transientOnAirMs[0], o.transientOnAirMs[1]);
      const closest = rng.uniform(Math.min(3, o.radioHorizonM), o.radioHorizonM);
      const trajectory = { times: [appears, appears + onAir / 2, appears + onAir], distances: [o.radioHorizonM, closest, o.radioHorizonM] };
      this.#addRadio(2e9 + index, 'transient', rng, trajectory, 'microsoft-cdp', 'non-resolvable', null);
    }
  }

  #ensurePassersByThrough(t: number): void {
    const o = this.options;
    const passers = this.#passers;
    while (passers !== null && this.#nextPasser <= t) {
      const appears = this.#nextPasser;
      const index = this.#passerCount++;
      const rng = passers.fork(index);
      this.#nextPasser = appears + passers.exponential(o.passersByPerMs);
      const speed = rng.uniform(o.walkingSpeedMps[0], o.walkingSpeedMps[1]) / 1000;
      const closest = Math.min(rng.uniform(o.passerByDistanceM[0], o.passerByDistanceM[1]), o.radioHorizonM);
      const half = (o.radioHorizonM - closest) / speed;
      const trajectory = { times: [appears, appears + half, appears + 2 * half], distances: [o.radioHorizonM, closest, o.radioHorizonM] };
      const pass: PassTruth = { passerId: index, appearsAt: appears, disappearsAt: appears + 2 * half, closestM: closest, addresses: [] };
      this.#passes.push(pass);
      this.#addRadio(4e9 + index, 'passer-by', rng, trajectory, rng.pickWeighted(PHONE_PROFILES), 'resolvable', null, pass);
    }
  }

  #addVisitor(visitorId: number, arrive: number, rng: SimRandom): void {
    const o = this.options;
    const speed = rng.uniform(o.walkingSpeedMps[0], o.walkingSpeedMps[1]) / 1000; // m per ms
    const entrance = rng.uniform(o.entranceDistanceM[0], o.entranceDistanceM[1]);
    const stay = rng.uniform(o.stayDistanceM[0], o.stayDistanceM[1]);
    const dwell = this.#drawDwellMs(rng);
    const outside = (o.radioHorizonM - entrance) / speed;
    const inside = Math.abs(stay - entrance) / speed;
    const leave = arrive + dwell;
    const times = [arrive - outside, arrive];
    const distances = [o.radioHorizonM, entrance];
    if (dwell >= 2 * inside) {
      times.push(arrive + inside, leave - inside);
      distances.push(stay, stay);
    } else {
      // Too short a visit to reach the spot: turn around half way through.
      times.push(arrive + dwell / 2);
      distances.push(entrance + ((stay - entrance) * dwell) / (2 * inside || 1));
    }
    times.push(leave, leave + outside);
    distances.push(entrance, o.radioHorizonM);
    const trajectory = { times, distances };
    const profile = rng.pickWeighted(PHONE_PROFILES);
    const visit: VisitTruth = {
      visitorId,
      appearsAt: times[0],
      arrive,
      leave,
      disappearsAt: times[times.length - 1],
      entranceDistanceM: entrance,
      stayDistanceM: stay,
      profile,
      devices: 1,
      addresses: [],
    };
    this.#visits.push(visit);
    this.#trajectories.set(visitorId, trajectory);
    if (leave - arrive > this.#maxStayMs) this.#maxStayMs = leave - arrive;
    if (visit.disappearsAt >= o.startMs) this.#addRadio(1e9 + visitorId, 'phone', rng, trajectory, profile, 'resolvable', visit);
    if (this.#extraDevices !== null) {
      // drawn for every visitor, in arrival order, whether or not on air: the same visitors carry the same devices
      const xr = this.#extraDevices.fork(visitorId);
      const extra = xr.chance(o.extraDevices.second) ? (xr.chance(o.extraDevices.third) ? 2 : 1) : 0;
      visit.devices += extra;
      for (let k = 1; k <= extra && visit.disappearsAt >= o.startMs; k++) {
        const drng = xr.fork(k);
        this.#addRadio(3e9 + visitorId * 4 + k, 'wearable', drng, trajectory, drng.pickWeighted(COMPANION_PROFILES), 'resolvable', visit);
      }
    }
  }

  #addBeacon(index: number, rng: SimRandom): void {
    const o = this.options;
    const d = rng.uniform(o.beaconDistanceM[0], o.beaconDistanceM[1]);
    const trajectory = { times: [-Infinity, Infinity], distances: [d, d] };
    this.#addRadio(index, 'beacon', rng, trajectory, index % 2 === 0 ? 'ibeacon' : 'eddystone-uid', 'static', null);
  }

  #addRadio(
    id: number, role: DeviceRole, rng: SimRandom, trajectory: Trajectory, profile: PayloadProfile, addressKind: AddressKind,
    visit: VisitTruth | null, pass: PassTruth | null = null,
  ): void {
    const o = this.options;
    const onAirFrom = trajectory.times[0];
    const onAirUntil = trajectory.times[trajectory.times.length - 1];
    // always-on devices' addresses start (and rotate from) when the kiosk starts listening
    const alwaysOn = !Number.isFinite(onAirFrom);
    const intervalMs = rng.uniform(o.advIntervalMs[0], o.advIntervalMs[1]);
    const fixed = rng.bytes(20);
    const address = randomAddress(rng, addressKind);
    const begin = Math.max(onAirFrom, o.startMs);
    const r: Radio = {
      id,
      role,
      visitorId: visit ? visit.visitorId : null,
      visit,
      owner: visit ?? pass,
      reception: null,
      rng,
      trajectory,
      leg: 0,
      onAirFrom,
      onAirUntil,
      intervalMs,
      nextTime: begin + rng.uniform(0, intervalMs),
      profile,
      eventType: eventTypeOf(profile),
      txOffsetDb: rng.normal(0, o.deviceTxSpreadDb),
      addressKind,
      address,
      addressText: formatAddress(address),
      addressFrom: alwaysOn ? o.startMs : onAirFrom,
      rotateAt: addressKind === 'resolvable' ? (alwaysOn ? o.startMs : onAirFrom) + rng.uniform(0, o.rotationMs) : Infinity,
      data: advertisingData(rng, profile, fixed),
      scanRsp: null,
      truth: null,
      scanResponder: role === 'phone' && profile !== 'exposure-notification' && rng.chance(o.scanResponseShare),
    };
    if (r.scanResponder) r.scanRsp = scanResponseData(rng, profile);
    if (o.receptionLoss > 0 || o.fades.perHour > 0) {
      const fadeMs: [number, number] = [o.fades.durationS[0] * 1000, o.fades.durationS[1] * 1000];
      r.reception = new Reception(new SimRandom(`${this.#hardSeed}:reception:${id}`), { loss: o.receptionLoss, fadesPerHour: o.fades.perHour, fadeMs }, begin);
    }
    this.#heap.push(r);
  }

  /** Moves a phone to the address it uses at time t (skipping any it used entirely before). */
  #rotate(r: Radio, t: number): void {
    const o = this.options;
    while (t >= r.rotateAt) {
      r.address = randomAddress(r.rng, r.addressKind);
      r.addressText = formatAddress(r.address);
      r.addressFrom = r.rotateAt;
      r.data = advertisingData(r.rng, r.profile, NO_FIXED_BYTES); // only phones rotate; their payloads have no fixed part
      if (r.scanResponder) r.scanRsp = scanResponseData(r.rng, r.profile);
      r.rotateAt += r.rng.uniform(o.rotationMs - o.rotationJitterMs, o.rotationMs + o.rotationJitterMs);
      r.truth = null;
    }
  }

  #openAddressTruth(r: Radio, time: number): AddressTruth {
    const truth: AddressTruth = {
      address: r.addressText,
      kind: addressKindOf(r.address),
      role: r.role,
      deviceId: r.id,
      visitorId: r.visitorId,
      validFrom: r.addressFrom,
      validUntil: Math.min(r.rotateAt, r.onAirUntil),
      firstOnAir: time,
      lastOnAir: time,
      packetsOnAir: 0,
      firstHeard: null,
      lastHeard: null,
      packetsHeard: 0,
    };
    r.truth = truth;
    this.truth.addresses.set(r.addressText, truth);
    if (r.owner) r.owner.addresses.push(truth);
    return truth;
  }
}
