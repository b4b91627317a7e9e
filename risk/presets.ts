/**
 * Exposure risk presets: the published rules that turn "how long, how close" into a level.
 * Every result names the rule that fired and the numbers it fired on (`rule`, `reason`,
 * `numbers`), so a visitor, an operator or an authority can check it by hand.
 *
 * - cwa:  Corona-Warn-App presence tracing (event check-ins): overlap minutes (rounded) x the
 *         report's transmission-risk value = normalized minutes; high at >= 10, low above 0.
 * - s1:   BeepTrace (S1): within 10 m for more than 15 min is high, otherwise low.
 * - s2:   the crypto-spatiotemporal field test (S2): within 2 m for 10 min or more is high.
 * - cdc:  CDC close contact: within 6 ft (1.8288 m) for a cumulative 15 min or more is high.
 * - gaen: GAEN-style attenuation buckets for BLE contacts: minutes per attenuation bucket,
 *         weighted, summed; high at >= 15 weighted minutes.
 *
 * Distances come from RSSI through risk/distance.ts, calibrated by the beacon's signed TX
 * power; they are weak (docs/RISK.md, "Limits"). Pure: no Node API, imports only core/, so
 * the wallet can bundle it.
 */
import { DEFAULT_PATH_LOSS_EXPONENT, estimateDistance, type DistanceEstimate } from './distance.js';

export type RiskLevel = 'high' | 'low' | 'none';
export type RiskPresetName = 'cwa' | 's1' | 's2' | 'cdc' | 'gaen';
export const RISK_PRESET_NAMES: readonly RiskPresetName[] = ['cwa', 's1', 's2', 'cdc', 'gaen'];

/** CWA's transmission-risk values for TRL 1..8 (cwa-server presence-tracing-parameters.yaml). */
export const CWA_TRANSMISSION_RISK_VALUES = [0, 0, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6] as const;
/** The TRL assumed when a report carries none: 5, value 1.0 (normalized minutes = overlap minutes). */
export const DEFAULT_TRANSMISSION_RISK_LEVEL = 5;

/** Distance-and-time rules: high when distance <= maxDistanceM and the time passes the bar. */
export const DISTANCE_RULES = {
  s1: { maxDistanceM: 10, minDurationS: 15 * 60, strictlyLonger: true },
  s2: { maxDistanceM: 2, minDurationS: 10 * 60, strictlyLonger: false },
  cdc: { maxDistanceM: 6 * 0.3048, minDurationS: 15 * 60, strictlyLonger: false },
} as const;

/**
 * GAEN-style buckets on the attenuation beyond 1 m (txPower - rssi, dB): immediate < 3 dB
 * (about 1.4 m at n = 2.2), near 3-10 dB (to about 2.8 m), medium 10-20 dB (to about 8 m),
 * other beyond; weights 1, 1, 0.5, 0; high at >= 15 weighted minutes.
 */
export const GAEN_BUCKETS = {
  thresholdsDb: [3, 10, 20],
  names: ['immediate', 'near', 'medium', 'other'],
  weights: [1, 1, 0.5, 0],
  highAtWeightedMin: 15,
} as const;

export const CWA_HIGH_AT_NORMALIZED_MIN = 10;

export interface RiskPreset {
  name: RiskPresetName;
  title: string;
  rule: string;
  /** What the rule needs besides the time: nothing, a distance (or RSSI + TX power), or RSSI samples. */
  needs: 'overlap' | 'distance' | 'attenuation';
  source: string;
}

export const RISK_PRESETS: readonly RiskPreset[] = [
  {
    name: 'cwa', title: 'Corona-Warn-App presence tracing', needs: 'overlap',
    rule: `normalized minutes = round(overlap s / 60) x transmission-risk value (TRL 1..8 -> ${CWA_TRANSMISSION_RISK_VALUES.join(', ')}); high at >= ${CWA_HIGH_AT_NORMALIZED_MIN}, low above 0, none at 0`,
    source: 'cwa-server services/distribution/.../main-config/v2/presence-tracing-parameters.yaml; cwa-app-android CheckInWarningOverlap.roundedMinutes',
  },
  {
    name: 's1', title: 'BeepTrace (S1)', needs: 'distance',
    rule: 'within 10 m for more than 15 min: high; otherwise low',
    source: 'S1 BeepTrace (Xu et al.), ../shared/reference/seeds-digest.md',
  },
  {
    name: 's2', title: 'Crypto-spatiotemporal field test (S2)', needs: 'distance',
    rule: 'within 2 m for 10 min or more: high; otherwise low',
    source: 'S2 (Wen et al.), ../shared/reference/seeds-digest.md',
  },
  {
    name: 'cdc', title: 'CDC close contact', needs: 'distance',
    rule: 'within 6 ft (1.8288 m) for a cumulative 15 min or more (within 24 h): high; otherwise low',
    source: 'CDC close-contact definition, as quoted in S2',
  },
  {
    name: 'gaen', title: 'GAEN-style attenuation buckets', needs: 'attenuation',
    rule: `minutes per bucket of attenuation beyond 1 m (${GAEN_BUCKETS.names[0]} < ${GAEN_BUCKETS.thresholdsDb[0]} dB, ${GAEN_BUCKETS.names[1]} < ${GAEN_BUCKETS.thresholdsDb[1]} dB, ${GAEN_BUCKETS.names[2]} < ${GAEN_BUCKETS.thresholdsDb[2]} dB, ${GAEN_BUCKETS.names[3]}) x weights ${GAEN_BUCKETS.weights.join(', ')}; high at >= ${GAEN_BUCKETS.highAtWeightedMin} weighted minutes, low above 0`,
    source: 'the shape of GAEN v2 daily summaries (attenuation buckets and weights); thresholds are Waymark\'s, relative to the beacon\'s 1 m calibration',
  },
];

/** One RSSI figure held for a while (GAEN's scan instants, or a session's filtered mean). */
export interface RssiSample {
  rssiDbm: number;
  durationS: number;
}

/** What is known of one stay (or contact) that overlapped an exposure. */
export interface StayRiskInput {
  /** Seconds the stay overlaps the reported exposure window (ExposureMatch.overlapS); >= 0. */
  overlapS: number;
  /** The rule to apply. Default 'cwa', the only one that needs no distance. */
  preset?: RiskPresetName;
  /** CWA transmission-risk level of the report, 1..8. Default 5 (value 1.0). */
  transmissionRiskLevel?: number;
  /** A known distance, m (wins over RSSI). */
  distanceM?: number;
  /** RSSI heard, dBm: the kiosk beacon on the phone, or a session's filtered mean at the kiosk. */
  rssiDbm?: number;
  /** The beacon's signed TX power (calibrated RSSI at 1 m), dBm; needed with rssiDbm. */
  txPowerDbm?: number;
  /** Path-loss exponent n. Default 2.2. */
  pathLossExponent?: number;
  /** RSSI over the stay (gaen); without it, rssiDbm is taken for the whole overlap. */
  samples?: readonly RssiSample[];
}

export interface RiskAssessment {
  preset: RiskPresetName;
  level: RiskLevel;
  /** The rule that decided, in words with its thresholds. */
  rule: string;
  /** One sentence: the rule applied to this stay's numbers. */
  reason: string;
  /** The numbers the rule used (seconds, minutes, metres, dB). */
  numbers: Record<string, number>;
}

/** Assesses one stay with one preset (default CWA presence tracing). */
export function assessStay(input: StayRiskInput): RiskAssessment {
  if (!(Number.isFinite(input.overlapS) && input.overlapS >= 0)) throw new RangeError(`overlapS must be a number >= 0, got ${input.overlapS}`);
  const preset = input.preset ?? 'cwa';
  switch (preset) {
    case 'cwa':
      return assessCwa(input);
    case 's1':
    case 's2':
    case 'cdc':
      return assessDistanceRule(preset, input);
    case 'gaen':
      return assessGaen(input);
    default:
      throw new RangeError(`preset must be one of ${RISK_PRESET_NAMES.join(', ')}, got ${String(preset)}`);
  }
}

/** Every preset on the same stay, in RISK_PRESET_NAMES order. */
export function assessStayAllPresets(input: Omit<StayRiskInput, 'preset'>): RiskAssessment[] {
  return RISK_PRESET_NAMES.map((preset) => assessStay({ ...input, preset }));
}

function ruleOf(name: RiskPresetName): string {
  return RISK_PRESETS.find((p) => p.name === name)!.rule;
}

const fmt = (x: number, digits = 1): string => (Math.round(x * 10 ** digits) / 10 ** digits).toString();
const minutes = (s: number): string => (s % 60 === 0 ? `${s / 60} min` : `${fmt(s / 60, 2)} min (${fmt(s)} s)`);

function assessCwa(input: StayRiskInput): RiskAssessment {
  const trl = input.transmissionRiskLevel ?? DEFAULT_TRANSMISSION_RISK_LEVEL;
  if (!Number.isInteger(trl) || trl < 1 || trl > 8) throw new RangeError(`transmissionRiskLevel must be 1..8, got ${trl}`);
  const value = CWA_TRANSMISSION_RISK_VALUES[trl - 1]!;
  // CWA rounds the overlap to whole minutes (Kotlin roundToLong: half up)
  const roundedMin = Math.round(input.overlapS / 60);
  const normalizedMin = roundedMin * value;
  const level: RiskLevel = normalizedMin >= CWA_HIGH_AT_NORMALIZED_MIN ? 'high' : normalizedMin > 0 ? 'low' : 'none';
  const assumed = input.transmissionRiskLevel === undefined ? ', assumed' : '';
  const verdict = level === 'high' ? `>= ${CWA_HIGH_AT_NORMALIZED_MIN}: high` : level === 'low' ? `< ${CWA_HIGH_AT_NORMALIZED_MIN}: low` : '= 0: none';
  return {
    preset: 'cwa', level, rule: ruleOf('cwa'),
    reason: `CWA presence tracing: ${roundedMin} overlap minute(s) x transmission-risk value ${value} (TRL ${trl}${assumed}) = ${fmt(normalizedMin)} normalized minutes ${verdict}`,
    numbers: { overlapS: input.overlapS, overlapMin: roundedMin, transmissionRiskLevel: trl, transmissionRiskValue: value, normalizedMin, highAtNormalizedMin: CWA_HIGH_AT_NORMALIZED_MIN },
  };
}

/** The distance the input gives (known, or estimated from RSSI and TX power), or undefined. */
function distanceOf(input: StayRiskInput): { distanceM: number; estimate?: DistanceEstimate } | undefined {
  if (input.distanceM !== undefined) {
    if (!(Number.isFinite(input.distanceM) && input.distanceM >= 0)) throw new RangeError(`distanceM must be a number >= 0, got ${input.distanceM}`);
    return { distanceM: input.distanceM };
  }
  if (input.rssiDbm === undefined || input.txPowerDbm === undefined) return undefined;
  const estimate = estimateDistance(input.rssiDbm, { txPowerDbm: input.txPowerDbm, pathLossExponent: input.pathLossExponent });
  return { distanceM: estimate.distanceM, estimate };
}

function assessDistanceRule(name: 's1' | 's2' | 'cdc', input: StayRiskInput): RiskAssessment {
  const rule = DISTANCE_RULES[name];
  const label = name === 'cdc' ? 'CDC' : name.toUpperCase();
  const longEnough = rule.strictlyLonger ? input.overlapS > rule.minDurationS : input.overlapS >= rule.minDurationS;
  const timeText = `${minutes(input.overlapS)} ${longEnough ? (rule.strictlyLonger ? '>' : '>=') : rule.strictlyLonger ? 'is not more than' : '<'} ${minutes(rule.minDurationS)}`;
  const numbers: Record<string, number> = { overlapS: input.overlapS, maxDistanceM: rule.maxDistanceM, minDurationS: rule.minDurationS };
  const d = distanceOf(input);
  if (input.overlapS === 0) {
    return { preset: name, level: 'none', rule: ruleOf(name), reason: `${label}: no overlap with the exposure window: none`, numbers };
  }
  if (!d) {
    return {
      preset: name, level: 'low', rule: ruleOf(name), numbers,
      reason: `${label}: distance unknown (no distance, or no RSSI with the beacon's TX power), so ${fmt(rule.maxDistanceM, 2)} m cannot be shown; ${timeText}: low`,
    };
  }
  numbers.distanceM = d.distanceM;
  let where = `${fmt(d.distanceM)} m`;
  if (d.estimate) {
    const e = d.estimate;
    Object.assign(numbers, { rssiDbm: input.rssiDbm!, txPowerDbm: input.txPowerDbm!, pathLossExponent: e.pathLossExponent, distanceLowM: e.lowM, distanceHighM: e.highM });
    where = `about ${fmt(e.distanceM)} m (${fmt(e.lowM)}-${fmt(e.highM)} m at one sigma) from RSSI ${input.rssiDbm} dBm, TX power ${input.txPowerDbm} dBm, n ${e.pathLossExponent}`;
  }
  const near = d.distanceM <= rule.maxDistanceM;
  const level: RiskLevel = near && longEnough ? 'high' : 'low';
  return {
    preset: name, level, rule: ruleOf(name), numbers,
    reason: `${label}: ${where}, ${near ? 'within' : 'beyond'} ${fmt(rule.maxDistanceM, 2)} m; ${timeText}: ${level}`,
  };
}

/** The GAEN bucket index of an attenuation beyond 1 m, dB. */
export function gaenBucketOf(attenuationDb: number): number {
  const t = GAEN_BUCKETS.thresholdsDb;
  return attenuationDb < t[0] ? 0 : attenuationDb < t[1] ? 1 : attenuationDb < t[2] ? 2 : 3;
}

function assessGaen(input: StayRiskInput): RiskAssessment {
  const numbers: Record<string, number> = { overlapS: input.overlapS, highAtWeightedMin: GAEN_BUCKETS.highAtWeightedMin };
  const samples = input.samples ?? (input.rssiDbm !== undefined ? [{ rssiDbm: input.rssiDbm, durationS: input.overlapS }] : undefined);
  if (input.txPowerDbm === undefined || !samples) {
    return {
      preset: 'gaen', level: input.overlapS > 0 ? 'low' : 'none', rule: ruleOf('gaen'), numbers,
      reason: `GAEN buckets: attenuation unknown (no RSSI with the beacon's TX power); ${minutes(input.overlapS)} of overlap: ${input.overlapS > 0 ? 'low' : 'none'}`,
    };
  }
  const seconds = [0, 0, 0, 0];
  for (const s of samples) {
    if (!(Number.isFinite(s.durationS) && s.durationS >= 0)) throw new RangeError(`sample durationS must be >= 0, got ${s.durationS}`);
    const e = estimateDistance(s.rssiDbm, { txPowerDbm: input.txPowerDbm, pathLossExponent: input.pathLossExponent });
    seconds[gaenBucketOf(e.attenuationDb)]! += s.durationS;
  }
  const weightedMin = seconds.reduce((sum, s, i) => sum + (s / 60) * GAEN_BUCKETS.weights[i]!, 0);
  const level: RiskLevel = weightedMin >= GAEN_BUCKETS.highAtWeightedMin ? 'high' : weightedMin > 0 ? 'low' : 'none';
  GAEN_BUCKETS.names.forEach((b, i) => (numbers[`${b}Min`] = seconds[i]! / 60));
  Object.assign(numbers, { weightedMin, txPowerDbm: input.txPowerDbm, pathLossExponent: input.pathLossExponent ?? DEFAULT_PATH_LOSS_EXPONENT });
  const parts = GAEN_BUCKETS.names.map((b, i) => `${b} ${fmt(seconds[i]! / 60)} min x ${GAEN_BUCKETS.weights[i]}`).join(' + ');
  const verdict = level === 'high' ? `>= ${GAEN_BUCKETS.highAtWeightedMin}: high` : level === 'low' ? `< ${GAEN_BUCKETS.highAtWeightedMin}: low` : '= 0: none';
  return { preset: 'gaen', level, rule: ruleOf('gaen'), numbers, reason: `GAEN buckets (TX power ${input.txPowerDbm} dBm): ${parts} = ${fmt(weightedMin)} weighted minutes ${verdict}` };
}
