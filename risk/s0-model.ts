/**
 * S0's infection-probability model over a contact x = (RSSI, dt_B, dt_C, surface survival):
 *
 *   P(infected) = sigma(beta0 + beta1 rssi_dbm + beta2 contact_s + beta3 checkin_gap_s + beta4 survival_h)
 *               = 1 / (1 + exp(-(beta . x)))
 *
 * fitted by maximum likelihood with IRLS (risk/irls.ts). S0 writes 1 / (1 + exp(b . x)), so
 * its b is -beta: the model file carries both (`coefficients` = beta, `s0b` = -beta). The
 * model file is what `waymark risk fit --json` prints and `waymark risk score --model` reads.
 */
import { WaymarkError } from '../core/errors.js';
import { SURFACE_SURVIVAL_H, type ContactRow } from './contact-csv.js';
import { fitLogistic, sigmoid, type IrlsOptions } from './irls.js';

export const MODEL_FORMAT = 'waymark-risk-model/1';

/** The coefficient keys, in the order of the formula; the intercept first. */
export const COEFFICIENT_KEYS = ['intercept', 'rssi_dbm', 'contact_s', 'checkin_gap_s', 'survival_h'] as const;
export type CoefficientKey = (typeof COEFFICIENT_KEYS)[number];
export type Coefficients = Record<CoefficientKey, number>;

export interface RiskModel {
  format: typeof MODEL_FORMAT;
  formula: string;
  /** beta: P = 1 / (1 + exp(-(beta . x))). */
  coefficients: Coefficients;
  /** Standard errors of beta (Fisher information at the optimum). */
  stderr: Coefficients;
  /** S0's b = -beta: P = 1 / (1 + exp(b . x)). */
  s0b: Coefficients;
  logLikelihood: number;
  deviance: number;
  nullDeviance: number;
  iterations: number;
  rows: number;
  infected: number;
  /** The surface -> survival hours mapping the survival_h column was built with. */
  survivalHours: typeof SURFACE_SURVIVAL_H;
}

export const MODEL_FORMULA = 'P(infected) = 1 / (1 + exp(-(intercept + rssi_dbm*RSSI + contact_s*dt_B + checkin_gap_s*dt_C + survival_h*survival)))';

function keyed(values: readonly number[]): Coefficients {
  return Object.fromEntries(COEFFICIENT_KEYS.map((k, i) => [k, values[i]!])) as Coefficients;
}

/** Fits the S0 model to labelled contact rows. */
export function fitS0Model(rows: readonly ContactRow[], opts: IrlsOptions = {}): RiskModel {
  const n = rows.length;
  const columns = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    if (r.infected === undefined) throw new WaymarkError('WAYMARK_ERR_RISK_DATA', `line ${r.line}: fitting needs the infected column`, { details: { lines: [{ line: r.line, column: 'infected', problem: 'missing' }] } });
    columns[0]![i] = r.rssiDbm;
    columns[1]![i] = r.contactS;
    columns[2]![i] = r.checkinGapS;
    columns[3]![i] = r.survivalH;
    y[i] = r.infected;
  }
  const fit = fitLogistic({ columns, names: COEFFICIENT_KEYS.slice(1), y }, opts);
  return {
    format: MODEL_FORMAT,
    formula: MODEL_FORMULA,
    coefficients: keyed(fit.coefficients),
    stderr: keyed(fit.stderr),
    s0b: keyed(fit.coefficients.map((b) => (b === 0 ? 0 : -b))),
    logLikelihood: fit.logLikelihood,
    deviance: fit.deviance,
    nullDeviance: -2 * fit.nullLogLikelihood,
    iterations: fit.iterations,
    rows: fit.rows,
    infected: fit.positives,
    survivalHours: SURFACE_SURVIVAL_H,
  };
}

/** The coefficients of a model file (the fit's JSON output), checked. */
export function parseRiskModel(text: string): Coefficients {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_RISK_MODEL', `not JSON (${(err as Error).message})`);
  }
  const d = doc as { format?: unknown; coefficients?: Record<string, unknown> } | null;
  if (!d || typeof d !== 'object' || !d.coefficients || typeof d.coefficients !== 'object') {
    throw new WaymarkError('WAYMARK_ERR_RISK_MODEL', 'no coefficients object (write the model with waymark risk fit --json)');
  }
  if (d.format !== undefined && d.format !== MODEL_FORMAT) throw new WaymarkError('WAYMARK_ERR_RISK_MODEL', `format ${JSON.stringify(d.format)}, expected ${MODEL_FORMAT}`);
  const bad = COEFFICIENT_KEYS.filter((k) => typeof d.coefficients![k] !== 'number' || !Number.isFinite(d.coefficients![k] as number));
  if (bad.length) throw new WaymarkError('WAYMARK_ERR_RISK_MODEL', `coefficients ${bad.join(', ')} missing or not finite numbers`, { details: { fields: bad } });
  return keyed(COEFFICIENT_KEYS.map((k) => d.coefficients![k] as number));
}

export interface ContactScore {
  line: number;
  /** beta . x, the log-odds. */
  logit: number;
  probability: number;
  /** Each term's share of the log-odds (the intercept included). */
  terms: Coefficients;
}

export function scoreContact(beta: Coefficients, r: Pick<ContactRow, 'line' | 'rssiDbm' | 'contactS' | 'checkinGapS' | 'survivalH'>): ContactScore {
  const terms: Coefficients = {
    intercept: beta.intercept,
    rssi_dbm: beta.rssi_dbm * r.rssiDbm,
    contact_s: beta.contact_s * r.contactS,
    checkin_gap_s: beta.checkin_gap_s * r.checkinGapS,
    survival_h: beta.survival_h * r.survivalH,
  };
  const logit = terms.intercept + terms.rssi_dbm + terms.contact_s + terms.checkin_gap_s + terms.survival_h;
  return { line: r.line, logit, probability: sigmoid(logit), terms };
}
