/**
 * Sightings benchmarks: pipeline throughput (filter + sessions + hash + store), the
 * end-to-end path from HCI bytes through noble, memory under address churn, and the
 * accuracy of occupancy and dwell against the virtual venue's ground truth.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchFigure, BenchGroup } from './types.js';
import { openDatabase } from '../kiosk/store/database.js';
import { SightingsStore } from '../kiosk/store/sightings-store.js';
import { SightingsPipeline } from '../kiosk/sightings/pipeline.js';
import { parseConfig } from '../core/config.js';
import { addressKindOf } from '../core/address.js';
import { AddressHasher } from '../kiosk/sightings/address-hash.js';
import { VirtualVenue } from '../firmware-bridge/sim/venue.js';
import { formatAddress } from '../firmware-bridge/sim/air.js';

function tempStore() {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-'));
  const db = openDatabase(join(dir, 'bench.db'));
  const store = new SightingsStore(db);
  return { dir, db, store, cleanup: () => { db.close(); rmSync(dir, { recursive: true, force: true }); } };
}

function pipelineFor(store: SightingsStore, sightings: Record<string, unknown> = {}) {
  const s = parseConfig({ sightings }).sightings;
  const p = new SightingsPipeline({ ...s, salts: store, firstSessionId: store.nextSessionId() });
  p.onSessions((r) => store.queueSessions(r));
  return p;
}

/** reports/s through filter + session + hash + store, on one core, with a realistic address mix. */
async function pipelineThroughput(quick: boolean): Promise<BenchFigure> {
  const { store, cleanup } = tempStore();
  try {
    const pipeline = pipelineFor(store);
    const devices = 500;
    const rotateEvery = 3000; // rounds (15 min of simulated time) before addresses rotate
    const total = quick ? 2_000_000 : 10_000_000;
    const addrs: string[] = [];
    for (let d = 0; d < devices; d++) addrs.push(addressOf(d, 0));
    let gen = 0;
    const t0 = Date.UTC(2026, 0, 1);
    const start = performance.now();
    let time = t0;
    // Each device reports every 300 ms of simulated time; sessions are swept every
    // 1.2 s of simulated time and the store commits every 100,000 reports (ten times a
    // second at the goal rate, where the kiosk commits once a second).
    let round = 0;
    for (let i = 0; i < total; i++) {
      const d = i % devices;
      if (d === 0) {
        round++;
        time += 300;
        if (round % rotateEvery === 0) {
          gen++;
          for (let k = 0; k < devices; k++) addrs[k] = addressOf(k, gen);
        }
        if (round % 4 === 0) pipeline.tick(time);
        if (round % 200 === 0) store.flush();
      }
      pipeline.ingestRaw(addrs[d]!, 'resolvable', -60 - (i & 15), time);
    }
    pipeline.finish();
    store.flush();
    const seconds = (performance.now() - start) / 1000;
    return { bench: 'sightings.pipeline', value: Math.round(total / seconds), unit: 'reports/s', goal: 1_000_000, better: 'higher', reports: total, sessions: pipeline.stats().sessionsStarted };
  } finally {
    cleanup();
  }
}

function addressOf(device: number, generation: number): string {
  const x = (device * 2654435761 + generation * 40503) >>> 0;
  const b = [0x40 | (generation & 0x3f), (x >>> 24) & 0xff, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff, device & 0xff];
  return b.map((v) => v.toString(16).padStart(2, '0')).join(':');
}

/**
 * Occupancy and dwell accuracy against the virtual venue's ground truth: the venue's
 * packets go straight into the pipeline (the radio stack does not change them), the
 * estimate is compared with the truth every simulated minute, and every address's
 * session span with its true time on air.
 */
async function accuracy(quick: boolean): Promise<BenchFigure[]> {
  const { store, cleanup } = tempStore();
  try {
    const overrides = JSON.parse(process.env.WAYMARK_BENCH_SIGHTINGS ?? '{}') as Record<string, unknown>;
    const config = parseConfig({ sightings: overrides }).sightings;
    const pipeline = pipelineFor(store, overrides);
    const sessions: { addressHash: string; firstSeen: number; lastSeen: number }[] = [];
    pipeline.onSessions((records) => {
      for (const r of records) if (r.closed) sessions.push(r);
    });
    const start = Date.UTC(2026, 2, 2, 9);
    const hours = quick ? 2 : 8;
    const end = start + hours * 3_600_000;
    const venue = new VirtualVenue({ seed: 42, startMs: start, startWithOccupants: true });
    let absErr = 0;
    let samples = 0;
    let truthSum = 0;
    let bias = 0;
    for (let t = start + 1000; t <= end; t += 1000) {
      venue.forEachPacketUntil(t, (p) => {
        const address = formatAddress(p.address);
        pipeline.ingestRaw(address, addressKindOf(address, p.addressType), p.rssi, p.time);
      });
      const { occupancy } = pipeline.tick(t);
      // score after a warm-up of one gap timeout
      if ((t - start) % 60_000 === 0 && t - start > config.sessionGapS * 1000) {
        const truth = venue.occupancyAt(t);
        absErr += Math.abs(occupancy - truth);
        bias += occupancy - truth;
        truthSum += truth;
        samples++;
      }
    }
    pipeline.finish();
    // dwell: per address, the span of its sessions vs its true time on air (within the run)
    const hasher = new AddressHasher(store);
    const spans = new Map<string, { first: number; last: number }>();
    for (const s of sessions) {
      const span = spans.get(s.addressHash);
      if (!span) spans.set(s.addressHash, { first: s.firstSeen, last: s.lastSeen });
      else {
        span.first = Math.min(span.first, s.firstSeen);
        span.last = Math.max(span.last, s.lastSeen);
      }
    }
    let dwellErr = 0;
    let dwellN = 0;
    let missed = 0;
    for (const visit of venue.truth.visits()) {
      for (const a of visit.addresses) {
        const from = Math.max(a.firstOnAir, start);
        const to = Math.min(a.lastOnAir, end);
        if (!(to > from) || a.packetsHeard === 0) continue;
        const span = spans.get(hasher.hash(a.address, a.firstHeard ?? from));
        if (!span) {
          missed++;
          continue;
        }
        dwellErr += Math.abs((span.last - span.first) - (to - from)) / 1000;
        dwellN++;
      }
    }
    return [
      { bench: 'sightings.occupancy_mae', value: round2(absErr / samples), unit: 'devices', better: 'lower', meanTrueOccupancy: round2(truthSum / samples), meanBias: round2(bias / samples), samples, simulatedHours: hours },
      { bench: 'sightings.dwell_mae_s', value: round2(dwellErr / dwellN), unit: 's', better: 'lower', addresses: dwellN, missedAddresses: missed },
    ];
  } finally {
    cleanup();
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export const group: BenchGroup = {
  name: 'sightings',
  async run({ quick, log }) {
    const figures: BenchFigure[] = [];
    log('sightings.pipeline ...');
    figures.push(await pipelineThroughput(quick));
    log('sightings accuracy against the virtual venue ...');
    figures.push(...(await accuracy(quick)));
    return figures;
  },
};
