/**
 * Exposure matching on the phone: a wallet of 1,000 check-ins (14 days at ~70 venues of a
 * region, some checked out, some with the kiosk's dwell figure) against 10,000
 * `ExposureReported` events (the region's 14 days of reports over 2,000 venues). The figure
 * is the median wall time of one `matchExposures` call, the work a wallet does per check.
 */
import { matchExposures, type ExposureReport, type VisitorCheckin } from '../beacon/visitor/exposure.js';
import type { BenchFigure, BenchGroup } from './types.js';

/** A small deterministic generator, so every run matches the same data. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

export function exposureWorkload(checkinCount = 1000, reportCount = 10_000, seed = 7): { checkins: VisitorCheckin[]; reports: ExposureReport[]; now: number } {
  const rnd = lcg(seed);
  const now = 1_780_000_000;
  const span = 14 * 86_400;
  const venues = 2000;
  const checkins: VisitorCheckin[] = Array.from({ length: checkinCount }, (_, i) => {
    const time = now - Math.floor(rnd() * span);
    const kind = rnd();
    return {
      id: '0x' + i.toString(16).padStart(64, '0'),
      venueId: 1 + Math.floor(rnd() * 70) * 29, // ~70 places the visitor goes, spread over the region's ids
      geohash: 'u4pruydqq',
      time,
      ...(kind < 0.3 ? { checkoutTime: time + 600 + Math.floor(rnd() * 5400) } : kind < 0.7 ? { kioskDwellS: 900 + Math.floor(rnd() * 3600) } : {}),
    };
  });
  const reports: ExposureReport[] = Array.from({ length: reportCount }, (_, i) => {
    const from = now - Math.floor(rnd() * span);
    return { venueId: 1 + Math.floor(rnd() * venues), from, to: from + 1800 + Math.floor(rnd() * 14_400), expiresAt: from + span, txHash: '0x' + i.toString(16).padStart(64, '0'), blockNumber: i };
  });
  return { checkins, reports, now };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export const group: BenchGroup = {
  name: 'exposure',
  async run({ quick, log }) {
    const { checkins, reports, now } = exposureWorkload();
    const opts = { since: now - 14 * 86_400 };
    let matches = 0;
    for (let i = 0; i < 5; i++) matches = matchExposures(checkins, reports, opts).length; // warm-up
    const times: number[] = [];
    const runs = quick ? 15 : 60;
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      matchExposures(checkins, reports, opts);
      times.push(performance.now() - start);
    }
    const ms = median(times);
    log(`  ${checkins.length} check-ins x ${reports.length} reports: ${matches} matches, median ${ms.toFixed(2)} ms, max ${Math.max(...times).toFixed(2)} ms over ${runs} runs`);
    const figures: BenchFigure[] = [
      { bench: 'exposure.match_ms', value: ms, unit: 'ms', goal: 50, better: 'lower', checkins: checkins.length, reports: reports.length, matches, runs, maxMs: Math.max(...times) },
    ];
    return figures;
  },
};
