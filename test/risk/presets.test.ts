/**
 * The exposure presets on hand-made stays at and around their thresholds, each result
 * naming its rule and numbers; and the RSSI -> distance model they use.
 */
import t from 'tap';
import { assessStay, assessStayAllPresets, gaenBucketOf, RISK_PRESETS, type StayRiskInput } from '../../risk/presets.js';
import { estimateDistance, expectedRssi } from '../../risk/distance.js';

const level = (input: StayRiskInput) => assessStay(input).level;

t.test('CWA presence tracing: round(overlap minutes) x transmission-risk value, high at >= 10', async (t) => {
  // TRL 5 (value 1.0) is assumed when the report carries none
  t.equal(level({ overlapS: 0 }), 'none', 'no overlap');
  t.equal(level({ overlapS: 29 }), 'none', '29 s rounds to 0 minutes');
  t.equal(level({ overlapS: 30 }), 'low', '30 s rounds to 1 minute (half up, like Kotlin roundToLong)');
  t.equal(level({ overlapS: 569 }), 'low', '9.48 min -> 9');
  t.equal(level({ overlapS: 570 }), 'high', '9.5 min -> 10: at the threshold');
  t.equal(level({ overlapS: 600 }), 'high');
  // the transmission-risk value scales the minutes
  t.equal(level({ overlapS: 16 * 60, transmissionRiskLevel: 3 }), 'low', '16 x 0.6 = 9.6');
  t.equal(level({ overlapS: 17 * 60, transmissionRiskLevel: 3 }), 'high', '17 x 0.6 = 10.2');
  t.equal(level({ overlapS: 7 * 60, transmissionRiskLevel: 8 }), 'high', '7 x 1.6 = 11.2');
  t.equal(level({ overlapS: 6 * 60, transmissionRiskLevel: 8 }), 'low', '6 x 1.6 = 9.6');
  t.equal(level({ overlapS: 3600, transmissionRiskLevel: 2 }), 'none', 'TRL 1-2 are worth 0');
  const a = assessStay({ overlapS: 17 * 60, transmissionRiskLevel: 3 });
  t.equal(a.reason, 'CWA presence tracing: 17 overlap minute(s) x transmission-risk value 0.6 (TRL 3) = 10.2 normalized minutes >= 10: high');
  t.match(a.numbers, { overlapS: 1020, overlapMin: 17, transmissionRiskLevel: 3, transmissionRiskValue: 0.6, highAtNormalizedMin: 10 });
  t.ok(Math.abs(a.numbers.normalizedMin! - 10.2) < 1e-9);
  t.match(assessStay({ overlapS: 600 }).reason, /\(TRL 5, assumed\)/);
  t.throws(() => assessStay({ overlapS: 60, transmissionRiskLevel: 9 }), RangeError);
  t.throws(() => assessStay({ overlapS: -1 }), RangeError);
});

t.test('S1: within 10 m for MORE than 15 min', async (t) => {
  t.equal(level({ preset: 's1', overlapS: 900, distanceM: 5 }), 'low', 'exactly 15 min is not more than 15');
  t.equal(level({ preset: 's1', overlapS: 901, distanceM: 5 }), 'high');
  t.equal(level({ preset: 's1', overlapS: 901, distanceM: 10 }), 'high', 'at 10 m: within');
  t.equal(level({ preset: 's1', overlapS: 901, distanceM: 10.01 }), 'low');
  t.equal(level({ preset: 's1', overlapS: 0, distanceM: 1 }), 'none');
  t.equal(level({ preset: 's1', overlapS: 3600 }), 'low', 'distance unknown: cannot be high');
  t.match(assessStay({ preset: 's1', overlapS: 3600 }).reason, /distance unknown/);
  t.equal(assessStay({ preset: 's1', overlapS: 900, distanceM: 5 }).reason, 'S1: 5 m, within 10 m; 15 min is not more than 15 min: low');
});

t.test('S2: within 2 m for 10 min or more', async (t) => {
  t.equal(level({ preset: 's2', overlapS: 599, distanceM: 2 }), 'low');
  t.equal(level({ preset: 's2', overlapS: 600, distanceM: 2 }), 'high', 'at both thresholds');
  t.equal(level({ preset: 's2', overlapS: 600, distanceM: 2.01 }), 'low');
  t.equal(level({ preset: 's2', overlapS: 7200, distanceM: 0.5 }), 'high');
  t.match(assessStay({ preset: 's2', overlapS: 599, distanceM: 2 }), { numbers: { overlapS: 599, distanceM: 2, maxDistanceM: 2, minDurationS: 600 }, reason: 'S2: 2 m, within 2 m; 9.98 min (599 s) < 10 min: low' });
});

t.test('CDC: within 6 ft (1.8288 m) for 15 min or more', async (t) => {
  t.equal(level({ preset: 'cdc', overlapS: 900, distanceM: 1.8288 }), 'high');
  t.equal(level({ preset: 'cdc', overlapS: 899, distanceM: 1.8288 }), 'low');
  t.equal(level({ preset: 'cdc', overlapS: 900, distanceM: 1.83 }), 'low', 'just beyond 6 ft');
  t.equal(level({ preset: 'cdc', overlapS: 900, distanceM: 1.8 }), 'high');
});

t.test('distances come from RSSI, calibrated by the beacon TX power (log-distance path loss)', async (t) => {
  const e = estimateDistance(-59, { txPowerDbm: -59 });
  t.equal(e.distanceM, 1, 'RSSI = TX power: 1 m');
  t.equal(estimateDistance(-81, { txPowerDbm: -59 }).distanceM, 10, '22 dB more loss at n = 2.2: 10 m');
  t.ok(Math.abs(estimateDistance(-79, { txPowerDbm: -59, pathLossExponent: 2 }).distanceM - 10) < 1e-12, 'n = 2: 20 dB per decade');
  t.ok(Math.abs(estimateDistance(expectedRssi(3.7, { txPowerDbm: -62 }), { txPowerDbm: -62 }).distanceM - 3.7) < 1e-12, 'expectedRssi inverts it');
  const w = estimateDistance(-70, { txPowerDbm: -59, shadowingSigmaDb: 4.5 });
  t.ok(w.lowM < w.distanceM && w.distanceM < w.highM);
  t.ok(Math.abs(w.highM / w.distanceM - 10 ** (4.5 / 22)) < 1e-12, 'one sigma multiplies the distance by 10^(sigma / 10n)');
  t.throws(() => estimateDistance(-200, { txPowerDbm: -59 }), RangeError);

  // S2 at its 2 m threshold, by RSSI: the RSSI the model expects at 2 m, and a dB either side
  const at2m = expectedRssi(2, { txPowerDbm: -59 });
  t.equal(level({ preset: 's2', overlapS: 600, rssiDbm: at2m + 0.01, txPowerDbm: -59 }), 'high', 'a hair stronger than at 2 m: within');
  t.equal(level({ preset: 's2', overlapS: 600, rssiDbm: at2m - 0.01, txPowerDbm: -59 }), 'low', 'a hair weaker: beyond');
  t.equal(level({ preset: 's2', overlapS: 600, rssiDbm: at2m - 1, txPowerDbm: -59 }), 'low', '1 dB weaker: beyond 2 m');
  t.equal(level({ preset: 's2', overlapS: 600, rssiDbm: at2m + 1, txPowerDbm: -59 }), 'high');
  // S1 at 10 m: -81 dBm with a -59 dBm beacon
  t.equal(level({ preset: 's1', overlapS: 901, rssiDbm: -81, txPowerDbm: -59 }), 'high');
  t.equal(level({ preset: 's1', overlapS: 901, rssiDbm: -82, txPowerDbm: -59 }), 'low');
  const s = assessStay({ preset: 's1', overlapS: 960, rssiDbm: -68, txPowerDbm: -59 });
  t.equal(s.reason, 'S1: about 2.6 m (1.6-4.1 m at one sigma) from RSSI -68 dBm, TX power -59 dBm, n 2.2, within 10 m; 16 min > 15 min: high');
  t.match(s.numbers, { rssiDbm: -68, txPowerDbm: -59, pathLossExponent: 2.2, maxDistanceM: 10 });
});

t.test('GAEN-style buckets: weighted minutes by attenuation beyond 1 m, high at >= 15', async (t) => {
  t.equal(gaenBucketOf(2.99), 0);
  t.equal(gaenBucketOf(3), 1, 'a threshold belongs to the farther bucket');
  t.equal(gaenBucketOf(9.99), 1);
  t.equal(gaenBucketOf(10), 2);
  t.equal(gaenBucketOf(20), 3);
  const tx = -59;
  t.equal(level({ preset: 'gaen', overlapS: 900, rssiDbm: -60, txPowerDbm: tx }), 'high', '15 min near (1 dB): 15 weighted minutes');
  t.equal(level({ preset: 'gaen', overlapS: 899, rssiDbm: -60, txPowerDbm: tx }), 'low');
  t.equal(level({ preset: 'gaen', overlapS: 1799, rssiDbm: -75, txPowerDbm: tx }), 'low', 'medium (16 dB) counts half: 14.99');
  t.equal(level({ preset: 'gaen', overlapS: 1800, rssiDbm: -75, txPowerDbm: tx }), 'high', 'medium: 30 min x 0.5 = 15');
  t.equal(level({ preset: 'gaen', overlapS: 7200, rssiDbm: -80, txPowerDbm: tx }), 'none', 'other (21 dB) counts 0');
  const mixed = assessStay({
    preset: 'gaen', overlapS: 1200, txPowerDbm: tx,
    samples: [{ rssiDbm: -58, durationS: 300 }, { rssiDbm: -64, durationS: 300 }, { rssiDbm: -72, durationS: 600 }, { rssiDbm: -90, durationS: 600 }],
  });
  t.equal(mixed.level, 'high', '5 + 5 + 10 x 0.5 + 0 = 15');
  t.match(mixed.numbers, { immediateMin: 5, nearMin: 5, mediumMin: 10, otherMin: 10, weightedMin: 15 });
  t.equal(mixed.reason, 'GAEN buckets (TX power -59 dBm): immediate 5 min x 1 + near 5 min x 1 + medium 10 min x 0.5 + other 10 min x 0 = 15 weighted minutes >= 15: high');
  t.equal(level({ preset: 'gaen', overlapS: 3600 }), 'low', 'no RSSI: attenuation unknown');
});

t.test('every preset says which rule fired on which numbers', async (t) => {
  const all = assessStayAllPresets({ overlapS: 1200, rssiDbm: -66, txPowerDbm: -59 });
  t.same(all.map((a) => a.preset), ['cwa', 's1', 's2', 'cdc', 'gaen']);
  for (const a of all) {
    t.ok(a.reason.length > 20 && a.rule === RISK_PRESETS.find((p) => p.name === a.preset)!.rule, `${a.preset}: ${a.reason}`);
    t.ok(Object.values(a.numbers).every(Number.isFinite), `${a.preset}: numbers are finite`);
    t.match(a.reason, /: (high|low|none)$/);
  }
  t.same(all.map((a) => a.level), ['high', 'high', 'low', 'low', 'high'], '20 min at about 2.1 m');
});
