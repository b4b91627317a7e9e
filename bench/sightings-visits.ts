/**
 * Visits against the hard venue's ground truth (sim/venue.ts HARD_VENUE): every packet is
 * encoded as the HCI LE Advertising Report a controller sends and read back by the scanner's
 * parser, then goes through the production sightings pipeline (config defaults, visits on).
 *
 * How it counts: a visit is one device's stay. A visitor carrying a phone and a watch is two
 * visits, for the kiosk and for the truth alike: the kiosk never links two devices that are
 * on air at the same time (that would be linking a person's devices, not an address
 * rotation), so the truth it is scored against is the visitors' devices that were heard, each
 * from its first to its last packet heard. Persons are printed beside (`truthPersons`).
 * Counted are the visits that begin in the window (after a warm-up of 15 min, to 10 min
 * before the end); passers-by, the venue's own devices, beacons and transients are in the
 * air but not in the truth's visitors.
 */
import type { BenchFigure } from './types.js';
import { parseConfig } from '../core/config.js';
import { openDatabase } from '../kiosk/store/database.js';
import { SightingsStore } from '../kiosk/store/sightings-store.js';
import { SightingsPipeline } from '../kiosk/sightings/pipeline.js';
import type { VisitRecord } from '../kiosk/sightings/visits.js';
import { readAdvertisingReports } from '../kiosk/radio/hci/parser.js';
import { encodeAdvertisingReportEvent } from '../sim/air.js';
import { HARD_VENUE, VirtualVenue } from '../sim/venue.js';

const MIN = 60_000;

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const pct = (estimate: number, truth: number) => Math.round((Math.abs(estimate - truth) / truth) * 1000) / 10;

export async function visitAccuracy(quick: boolean): Promise<BenchFigure[]> {
  const db = openDatabase(':memory:');
  try {
    const store = new SightingsStore(db);
    const config = parseConfig({}).sightings;
    const pipeline = new SightingsPipeline({ ...config, salts: store, firstSessionId: 1 });
    const visits: VisitRecord[] = [];
    pipeline.onVisits((v) => visits.push(...v));
    // what counting addresses instead would say: sessions that would pass for visitors' visits
    const sessionDwells: { firstSeen: number; dwellMs: number }[] = [];
    pipeline.onSessions((records) => {
      for (const r of records) {
        if (r.closed && (config.visitorKinds as readonly string[]).includes(r.kind) && r.dwellMs >= config.visits.minVisitS * 1000 && r.rssiMax >= config.insideRssiDbm) sessionDwells.push(r);
      }
    });
    const start = Date.UTC(2026, 2, 3, 9);
    // long enough for the venue's own devices to outlast maxVisitH, quick or not
    const hours = quick ? 7 : 10;
    const end = start + hours * 3_600_000;
    const venue = new VirtualVenue({ ...HARD_VENUE, seed: 7, startMs: start, startWithOccupants: true });
    let reports = 0;
    const ingest = (r: Parameters<SightingsPipeline['ingest']>[0]) => {
      reports++;
      pipeline.ingest(r);
    };
    let occErr = 0;
    let occN = 0;
    for (let t = start + 1000; t <= end; t += 1000) {
      venue.forEachPacketUntil(t, (p) => readAdvertisingReports(encodeAdvertisingReportEvent(p), p.time, ingest));
      pipeline.tick(t);
      if ((t - start) % MIN === 0 && t - start > 2 * MIN) {
        occErr += Math.abs(pipeline.visitsNow - venue.occupancyAt(t));
        occN++;
      }
    }
    pipeline.finish();

    const from = start + 15 * MIN;
    const to = end - 10 * MIN;
    const kiosk = visits.filter((v) => v.class === 'visitor' && v.firstSeen >= from && v.firstSeen < to);
    const truthDwell: number[] = [];
    let persons = 0;
    for (const visit of venue.truth.visits()) {
      const devices = new Map<number, { first: number; last: number }>();
      for (const a of visit.addresses) {
        if (a.firstHeard === null || a.lastHeard === null) continue;
        const d = devices.get(a.deviceId);
        if (!d) devices.set(a.deviceId, { first: a.firstHeard, last: a.lastHeard });
        else {
          d.first = Math.min(d.first, a.firstHeard);
          d.last = Math.max(d.last, a.lastHeard);
        }
      }
      let counted = false;
      for (const d of devices.values()) {
        if (d.first < from || d.first >= to) continue;
        truthDwell.push(d.last - d.first);
        counted = true;
      }
      if (counted) persons++;
    }
    const kioskMedianS = median(kiosk.map((v) => v.dwellMs)) / 1000;
    const sessions = sessionDwells.filter((r) => r.firstSeen >= from && r.firstSeen < to);
    const truthMedianS = median(truthDwell) / 1000;
    const closed = pipeline.stats().visits!;
    const passers = venue.truth.passersBy().filter((p) => p.appearsAt >= from && p.appearsAt < to).length;
    const common = {
      simulatedHours: hours, reports, window: 'visits beginning 15 min after the start to 10 min before the end',
      counting: 'one visit per device: a visitor with a phone and a watch is two, in the kiosk and in the truth',
    };
    return [
      {
        bench: 'sightings.visit_dwell_err_pct', value: pct(kioskMedianS, truthMedianS), unit: '%', goal: 10, better: 'lower',
        kioskMedianDwellS: Math.round(kioskMedianS), truthMedianDwellS: Math.round(truthMedianS),
        sessionMedianDwellS: Math.round(median(sessions.map((r) => r.dwellMs)) / 1000), sessionsAsVisits: sessions.length, ...common,
      },
      {
        bench: 'sightings.visitors_err_pct', value: pct(kiosk.length, truthDwell.length), unit: '%', goal: 10, better: 'lower',
        kioskVisitors: kiosk.length, truthDeviceVisits: truthDwell.length, truthPersons: persons, passersByInWindow: passers,
        personsErrPct: pct(kiosk.length, persons), links: closed.links, linksUndone: closed.linksUndone,
        closed: { visitors: closed.visitors, passersBy: closed.passersBy, fixed: closed.fixedDevices },
        visitOccupancyMaePersons: Math.round((occErr / occN) * 100) / 100, ...common,
      },
    ];
  } finally {
    db.close();
  }
}
