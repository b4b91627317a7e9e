/**
 * Risk benchmarks. `risk.fit_ms`: S0's logistic model fitted by IRLS on 100,000 contacts.
 * `contacts.match_ms`: a diagnosed visitor's 14 days x 96 published addresses (one per
 * 15-minute rotation, each with its range) matched against 14 days of sessions at a busy
 * venue (about 10,000 sessions a day), overlaps included: one `matchContacts` call, median.
 * `risk.distance_spread`: how weak RSSI is as a distance proxy under the simulator's radio
 * model: devices at a fixed true distance, their distance estimated from RSSI with the
 * beacon's calibration (per packet, and from a device's 10-minute mean RSSI, as a session has).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchFigure, BenchGroup } from './types.js';
import { SURFACE_SURVIVAL_H, type ContactRow, type Surface } from '../risk/contact-csv.js';
import { fitS0Model } from '../risk/s0-model.js';
import { openDatabase } from '../kiosk/store/database.js';
import { SightingsStore } from '../kiosk/store/sightings-store.js';
import { AddressHasher } from '../kiosk/sightings/address-hash.js';
import { matchContacts } from '../kiosk/contacts/match.js';
import type { PublishedAddress } from '../kiosk/contacts/address-list.js';
import { DAY_MS } from '../core/clock.js';
import { estimateDistance } from '../risk/distance.js';
import { VirtualVenue } from '../sim/venue.js';
import { formatAddress } from '../sim/air.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** n contacts drawn from a known model (the R vector's coefficients). */
export function syntheticContacts(n: number, seed = 11): ContactRow[] {
  const rnd = lcg(seed);
  const surfaces = Object.keys(SURFACE_SURVIVAL_H) as Surface[];
  return Array.from({ length: n }, (_, i) => {
    const rssiDbm = Math.round(-95 + 50 * rnd());
    const contactS = Math.min(Math.round(-900 * Math.log(1 - rnd())), 7200);
    const checkinGapS = Math.round(7200 * rnd());
    const surface = surfaces[Math.floor(rnd() * 6)]!;
    const eta = 3 + 0.06 * rssiDbm + 0.0008 * contactS - 0.0003 * checkinGapS + 0.015 * SURFACE_SURVIVAL_H[surface];
    return { line: i + 2, rssiDbm, contactS, checkinGapS, surface, survivalH: SURFACE_SURVIVAL_H[surface], infected: rnd() < 1 / (1 + Math.exp(-eta)) ? 1 : 0 };
  });
}

async function fitBench(quick: boolean): Promise<BenchFigure> {
  const rows = syntheticContacts(100_000);
  const times: number[] = [];
  const cpu: number[] = [];
  let iterations = 0;
  for (let i = 0; i < (quick ? 2 : 5); i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    iterations = fitS0Model(rows).iterations;
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { bench: 'risk.fit_ms', value: median(times), unit: 'ms', better: 'lower', cpuMs: Math.round(median(cpu)), rows: rows.length, iterations };
}

const addressOf = (x: number): string => {
  const b = [0x40 | ((x >>> 24) & 0x3f), (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff, (x * 7) & 0xff, (x * 13) & 0xff];
  return b.map((v) => v.toString(16).padStart(2, '0')).join(':');
};

/**
 * A busy venue's 14 days in a store at `path`: 220 arrivals an hour from 08:00 to 22:00,
 * visits of 10..120 min with a new address every 15 min, 1,200 passers-by a day; and a
 * diagnosed visitor's 96 addresses a day (with ranges), here 45 minutes on 10 of the days.
 */
export function busyVenueStore(path: string): { db: ReturnType<typeof openDatabase>; published: PublishedAddress[]; sessions: number } {
  const db = openDatabase(path);
  const store = new SightingsStore(db);
  const hasher = new AddressHasher(store);
  const rnd = lcg(5);
  const day0 = 20_454; // 2026-01-01
  const days = 14;
  const insert = db.prepare(`INSERT INTO sessions (id, address_hash, kind, first_seen, last_seen, samples, rssi_min, rssi_mean, rssi_max, rssi_last, closed)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`);
  let id = 1;
  let serial = 1;
  const published: PublishedAddress[] = [];
  db.transaction(() => {
    for (let d = 0; d < days; d++) {
      const dayMs = (day0 + d) * DAY_MS;
      store.saltFor(day0 + d);
      for (let h = 8; h < 22; h++) {
        for (let v = 0; v < 220; v++) {
          let t = dayMs + h * 3_600_000 + rnd() * 3_600_000;
          const end = t + (10 + 110 * rnd() * rnd()) * 60_000;
          while (t < end) {
            const last = Math.min(end, t + 15 * 60_000);
            const rssi = -95 + 40 * rnd();
            insert.run(id++, hasher.hash(addressOf(serial++), t), 'resolvable', Math.round(t), Math.round(last), 100, rssi - 5, rssi, rssi + 5, rssi);
            t = last + 1000;
          }
        }
      }
      for (let k = 0; k < 1200; k++) {
        const t = dayMs + rnd() * DAY_MS;
        insert.run(id++, hasher.hash(addressOf(serial++), t), 'non-resolvable', Math.round(t), Math.round(t + 5000 + 55_000 * rnd()), 10, -90, -85, -80, -85);
      }
      for (let q = 0; q < 96; q++) {
        const address = addressOf(0x3000_0000 + d * 96 + q);
        const from = dayMs + q * 15 * 60_000;
        published.push({ address, from: from / 1000, to: (from + 15 * 60_000) / 1000, line: published.length + 1 });
        if (d < 10 && q >= 48 && q < 51) insert.run(id++, hasher.hash(address, from), 'resolvable', from + 2000, from + 14 * 60_000, 300, -70, -64, -58, -63);
      }
    }
  })();
  return { db, published, sessions: id - 1 };
}

async function matchBench(quick: boolean, log: (line: string) => void): Promise<BenchFigure> {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-contacts-'));
  const { db, published, sessions } = busyVenueStore(join(dir, 'waymark.db'));
  try {
    log(`  ${sessions.toLocaleString('en')} sessions over 14 days, ${published.length} published addresses`);
    const run = (list: PublishedAddress[]) => {
      const times: number[] = [];
      const cpu: number[] = [];
      let windows = 0;
      for (let i = 0; i < (quick ? 3 : 9); i++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        windows = matchContacts(db, list).windows.length;
        times.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
      }
      // CPU time too: on a shared machine the wall time also counts waiting for a core
      return { ms: median(times), cpuMs: Math.round(median(cpu) * 10) / 10, windows };
    };
    const ranged = run(published);
    const unranged = run(published.map(({ address, line }) => ({ address, line })));
    return {
      bench: 'contacts.match_ms', value: ranged.ms, unit: 'ms', goal: 100, better: 'lower',
      cpuMs: ranged.cpuMs, sessions, publishedAddresses: published.length, windows: ranged.windows,
      withoutRangesMs: Math.round(unranged.ms * 10) / 10,
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Estimated distance at fixed true distances, from the simulator's packets (no visitors, only fixed devices). */
export function distanceSpread(distancesM: readonly number[] = [1, 2, 5, 10], devices = 200, minutes = 10) {
  return distancesM.map((d) => {
    const venue = new VirtualVenue({ seed: `spread-${d}`, arrivalsPerHour: 0, transientsPerHour: 0, beacons: devices, beaconDistanceM: [d, d] });
    const txPowerDbm = venue.options.txPowerAt1mDbm;
    const perPacket: number[] = [];
    const sums = new Map<string, { sum: number; n: number }>();
    venue.forEachPacketUntil(venue.startMs + minutes * 60_000, (p) => {
      perPacket.push(estimateDistance(p.rssi, { txPowerDbm }).distanceM);
      const key = formatAddress(p.address);
      const s = sums.get(key) ?? { sum: 0, n: 0 };
      s.sum += p.rssi;
      s.n++;
      sums.set(key, s);
    });
    const perDevice = [...sums.values()].map((s) => estimateDistance(s.sum / s.n, { txPowerDbm }).distanceM);
    const q = (xs: number[]) => {
      const sorted = Float64Array.from(xs).sort();
      return { p10: round2(percentile(sorted, 0.1)), median: round2(percentile(sorted, 0.5)), p90: round2(percentile(sorted, 0.9)) };
    };
    return { trueM: d, packets: perPacket.length, perPacket: q(perPacket), devices: perDevice.length, perDeviceMean: q(perDevice) };
  });
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

export const group: BenchGroup = {
  name: 'risk',
  async run({ quick, log }) {
    const spread = distanceSpread([1, 2, 5, 10], quick ? 50 : 200);
    for (const s of spread) {
      log(`  true ${s.trueM} m: per packet ${s.perPacket.p10}..${s.perPacket.p90} m (median ${s.perPacket.median}), `
        + `per device's 10-min mean ${s.perDeviceMean.p10}..${s.perDeviceMean.p90} m (median ${s.perDeviceMean.median}) [p10..p90]`);
    }
    const at2 = spread.find((s) => s.trueM === 2)!;
    return [
      await fitBench(quick),
      await matchBench(quick, log),
      { bench: 'risk.distance_spread', value: round2(at2.perPacket.p90 / at2.perPacket.p10), unit: 'x (p90/p10 at 2 m, per packet)', better: 'lower', spread },
    ];
  },
};
