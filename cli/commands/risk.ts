/**
 * `waymark risk fit | score | presets | assess`: S0's logistic infection model (fitted by
 * IRLS from a contact CSV, then applied to contacts) and the exposure presets (CWA presence
 * tracing, S1, S2, CDC, GAEN-style buckets) with the reason each level comes with. The work
 * is in risk/ (docs/RISK.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CliCommand, CliIO, CliValues } from '../command.js';
import { booleanFlag, choiceFlag, intFlag, numberFlag, stringFlag, usage } from '../flags.js';
import { parseContactCsv } from '../../risk/contact-csv.js';
import { COEFFICIENT_KEYS, fitS0Model, parseRiskModel, scoreContact, type RiskModel } from '../../risk/s0-model.js';
import { assessStay, assessStayAllPresets, RISK_PRESET_NAMES, RISK_PRESETS, type RiskAssessment } from '../../risk/presets.js';

const json = { json: { type: 'boolean', description: 'print one JSON object on stdout instead of text' } } as const;

function readInput(io: CliIO, values: CliValues, flag: string): string {
  const file = stringFlag(values, flag, { required: 'FILE' });
  const path = resolve(io.cwd, file);
  if (!existsSync(path)) usage(`--${flag}: no such file: ${file}`, flag);
  return readFileSync(path, 'utf8');
}

const g = (x: number): string => (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e6 ? x.toPrecision(10) : x.toExponential(9));

function describeFit(m: RiskModel): string {
  const lines = [
    `S0 risk model: ${m.rows} rows (${m.infected} infected), fitted in ${m.iterations} IRLS steps`,
    `P(infected) = 1 / (1 + exp(-(beta . x)));  S0 writes 1 / (1 + exp(b . x)), so b = -beta`,
    `${'coefficient'.padEnd(15)}${'beta'.padStart(18)}${'stderr'.padStart(18)}${'S0 b'.padStart(18)}`,
    ...COEFFICIENT_KEYS.map((k) => `${k.padEnd(15)}${g(m.coefficients[k]).padStart(18)}${g(m.stderr[k]).padStart(18)}${g(m.s0b[k]).padStart(18)}`),
    `log-likelihood ${g(m.logLikelihood)}   deviance ${g(m.deviance)}   null deviance ${g(m.nullDeviance)}`,
    `surface survival hours: ${Object.entries(m.survivalHours).map(([s, h]) => `${s} ${h}`).join(', ')}`,
  ];
  return lines.join('\n') + '\n';
}

const fitCommand: CliCommand = {
  name: 'risk fit',
  summary: "Fit S0's logistic infection model (RSSI, contact time, check-in gap, surface survival) by IRLS",
  options: {
    csv: { type: 'string', description: 'contact CSV: rssi_dbm,contact_s,checkin_gap_s,surface,infected' },
    'max-iterations': { type: 'string', description: 'IRLS steps before giving up (default 100)' },
    ...json,
  },
  usage: `P(infected) = 1 / (1 + exp(-(intercept + rssi_dbm*RSSI + contact_s*dt_B + checkin_gap_s*dt_C + survival_h*hours)));
surface is one of aerosol, copper, cardboard, other, steel, plastic (survival 3, 4, 24, 30, 48, 72 h);
infected is 0 or 1. S0 writes 1/(1+exp(b.x)): its b is -beta (printed as "S0 b", JSON "s0b").
--json prints the model file 'waymark risk score --model' reads: { coefficients, stderr, s0b,
logLikelihood, deviance, iterations, rows, ... }. Bad rows are refused with their line numbers
(WAYMARK_ERR_RISK_DATA); separable outcomes (WAYMARK_ERR_RISK_SEPARATION) and a fit that does
not settle (WAYMARK_ERR_RISK_NOT_CONVERGED) are errors, never NaNs. See docs/RISK.md.
Example:
  waymark risk fit --csv contacts.csv --json > model.json`,
  async run({ values }, io) {
    const text = readInput(io, values, 'csv');
    const maxIterations = intFlag(values, 'max-iterations', { min: 1, max: 10_000 });
    const model = fitS0Model(parseContactCsv(text), { maxIterations });
    io.stdout(booleanFlag(values, 'json') ? JSON.stringify(model, null, 2) + '\n' : describeFit(model));
    return 0;
  },
};

const scoreCommand: CliCommand = {
  name: 'risk score',
  summary: "Apply a fitted risk model (the fit's --json output) to contacts",
  options: {
    model: { type: 'string', description: "model FILE: 'waymark risk fit --json' output" },
    csv: { type: 'string', description: 'contact CSV: rssi_dbm,contact_s,checkin_gap_s,surface[,infected]' },
    ...json,
  },
  usage: `Prints, per CSV line, the probability, the log-odds and each term's share of it.
--json: { coefficients, scores: [{ line, probability, logit, terms }] }
Example:
  waymark risk score --model model.json --csv today.csv --json`,
  async run({ values }, io) {
    const beta = parseRiskModel(readInput(io, values, 'model'));
    const rows = parseContactCsv(readInput(io, values, 'csv'), { requireOutcome: false });
    const scores = rows.map((r) => scoreContact(beta, r));
    if (booleanFlag(values, 'json')) {
      io.stdout(JSON.stringify({ coefficients: beta, scores }) + '\n');
    } else {
      const lines = scores.map((s) => `line ${String(s.line).padStart(6)}  P(infected) ${s.probability.toFixed(4)}  log-odds ${s.logit.toFixed(3)}`);
      io.stdout(`${lines.join('\n')}${lines.length ? '\n' : ''}${scores.length} contact(s) scored\n`);
    }
    return 0;
  },
};

const presetsCommand: CliCommand = {
  name: 'risk presets',
  summary: 'List the exposure risk presets (CWA presence tracing, S1, S2, CDC, GAEN buckets) and their rules',
  options: { ...json },
  async run({ values }, io) {
    if (booleanFlag(values, 'json')) io.stdout(JSON.stringify({ presets: RISK_PRESETS }) + '\n');
    else io.stdout(RISK_PRESETS.map((p) => `${p.name.padEnd(5)} ${p.title}\n      ${p.rule}\n      needs: ${p.needs}; source: ${p.source}`).join('\n') + '\n');
    return 0;
  },
};

function describeAssessments(list: RiskAssessment[]): string {
  return list.map((a) => `${a.preset.padEnd(5)} ${a.level.toUpperCase().padEnd(5)} ${a.reason}`).join('\n') + '\n';
}

const assessCommand: CliCommand = {
  name: 'risk assess',
  summary: 'Assess one stay or contact with every preset (or one), saying which rule fired on which numbers',
  options: {
    'overlap-s': { type: 'string', description: 'seconds the stay overlapped the exposure window (or the contact lasted)' },
    preset: { type: 'string', description: `one of ${RISK_PRESET_NAMES.join(', ')} (default: all)` },
    trl: { type: 'string', description: 'CWA transmission-risk level of the report, 1..8 (default 5)' },
    'distance-m': { type: 'string', description: 'known distance, m (instead of RSSI)' },
    rssi: { type: 'string', description: 'RSSI heard, dBm (with --tx-power)' },
    'tx-power': { type: 'string', description: "the beacon's signed TX power: calibrated RSSI at 1 m, dBm" },
    'path-loss-exponent': { type: 'string', description: 'path-loss exponent n (default 2.2)' },
    ...json,
  },
  usage: `Examples:
  waymark risk assess --overlap-s 1200
  waymark risk assess --overlap-s 960 --rssi=-68 --tx-power=-59 --json   (negative numbers need the = form)`,
  async run({ values }, io) {
    const input = {
      overlapS: numberFlag(values, 'overlap-s', { min: 0, unit: 'seconds', required: 'SECONDS' }),
      transmissionRiskLevel: intFlag(values, 'trl', { min: 1, max: 8 }),
      distanceM: numberFlag(values, 'distance-m', { min: 0, unit: 'metres' }),
      rssiDbm: numberFlag(values, 'rssi', { min: -127, max: 20, unit: 'dBm' }),
      txPowerDbm: numberFlag(values, 'tx-power', { min: -127, max: 20, unit: 'dBm' }),
      pathLossExponent: numberFlag(values, 'path-loss-exponent', { above: 0, max: 10 }),
    };
    if ((input.rssiDbm === undefined) !== (input.txPowerDbm === undefined)) usage('--rssi and --tx-power go together (the distance needs both)', input.rssiDbm === undefined ? 'rssi' : 'tx-power');
    const preset = choiceFlag(values, 'preset', RISK_PRESET_NAMES);
    const list = preset ? [assessStay({ ...input, preset })] : assessStayAllPresets(input);
    io.stdout(booleanFlag(values, 'json') ? JSON.stringify({ assessments: list }) + '\n' : describeAssessments(list));
    return 0;
  },
};

export const riskCommands: CliCommand[] = [fitCommand, scoreCommand, presetsCommand, assessCommand];
