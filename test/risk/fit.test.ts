/**
 * S0's logistic model fitted by IRLS (risk/irls.ts) against R's glm on the same dataset
 * (test/vectors/risk-fit-reference.json, made by test/vectors/generate-risk-fit.R), and the
 * named failures: bad rows with their line numbers, separation, collinearity, no convergence.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isWaymarkError } from '../../core/errors.js';
import { parseContactCsv, SURFACE_SURVIVAL_H } from '../../risk/contact-csv.js';
import { fitLogistic } from '../../risk/irls.js';
import { COEFFICIENT_KEYS, fitS0Model, parseRiskModel, scoreContact } from '../../risk/s0-model.js';
import { cli } from '../helpers/cli.js';

const vectors = new URL('../vectors/', import.meta.url);
const datasetPath = new URL('risk-fit-dataset.csv', vectors);
const dataset = readFileSync(datasetPath, 'utf8');
const reference = JSON.parse(readFileSync(new URL('risk-fit-reference.json', vectors), 'utf8'));

const HEADER = 'rssi_dbm,contact_s,checkin_gap_s,surface,infected';
const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

t.test('the IRLS fit agrees with R glm(family = binomial) to 1e-6 relative', async (t) => {
  t.match(reference.tool, /^R version .*stats::glm/, 'the reference comes from another tool');
  const rows = parseContactCsv(dataset);
  t.equal(rows.length, reference.rows);
  const m = fitS0Model(rows);
  t.equal(m.infected, reference.infected);
  for (const k of COEFFICIENT_KEYS) {
    t.ok(relative(m.coefficients[k], reference.coefficients[k]) < 1e-6, `${k}: ${m.coefficients[k]} vs R ${reference.coefficients[k]}`);
    t.ok(relative(m.stderr[k], reference.stderr[k]) < 1e-6, `stderr ${k}: ${m.stderr[k]} vs R ${reference.stderr[k]}`);
    t.equal(m.s0b[k], -m.coefficients[k], `S0's b is -beta for ${k}`);
  }
  t.ok(relative(m.logLikelihood, reference.logLikelihood) < 1e-9, `log-likelihood ${m.logLikelihood} vs R ${reference.logLikelihood}`);
  t.ok(relative(m.deviance, reference.deviance) < 1e-9, 'deviance');
  t.ok(relative(m.nullDeviance, reference.nullDeviance) < 1e-9, 'null deviance');
  // and the fit recovers the model the data were drawn from, within a few standard errors
  for (const k of COEFFICIENT_KEYS) {
    t.ok(Math.abs(m.coefficients[k] - reference.trueCoefficients[k]) < 3 * m.stderr[k], `${k} within 3 SE of the true value`);
  }
});

t.test('the fit does not depend on the units: rescaled columns give rescaled coefficients', async (t) => {
  const rows = parseContactCsv(dataset);
  const n = rows.length;
  const y = Uint8Array.from(rows, (r) => r.infected!);
  const base = fitLogistic({ columns: [Float64Array.from(rows, (r) => r.contactS), Float64Array.from(rows, (r) => r.rssiDbm)], names: ['contact_s', 'rssi'], y });
  // contact time in milliseconds, RSSI in milli-dB offset by a large constant
  const scaled = fitLogistic({ columns: [Float64Array.from(rows, (r) => r.contactS * 1000), Float64Array.from(rows, (r) => r.rssiDbm * 1000 + 1e6)], names: ['contact_ms', 'rssi'], y });
  t.ok(relative(scaled.coefficients[1]! * 1000, base.coefficients[1]!) < 1e-9, 'contact coefficient scales by 1/1000');
  t.ok(relative(scaled.coefficients[2]! * 1000, base.coefficients[2]!) < 1e-9, 'rssi coefficient scales by 1/1000');
  t.ok(relative(scaled.logLikelihood, base.logLikelihood) < 1e-12, 'same likelihood');
  t.equal(n, 2000);
});

function errorOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    return err as any;
  }
  throw new Error('expected an error');
}

t.test('bad rows are refused with their line numbers, all of them', async (t) => {
  const csv = [
    HEADER,
    '-60,300,120,plastic,1', // line 2: fine
    '# a comment and a blank line are skipped',
    '',
    'abc,300,120,plastic,0', // line 5
    '-60,-1,120,steel,0', // line 6
    '-60,300,120,wood,0', // line 7
    '-60,300,120,steel,2', // line 8
    '-60,300,120', // line 9
    '-200,300,120,copper,1', // line 10
    '-60,300,120,aerosol,1',
  ].join('\n');
  const err = errorOf(() => parseContactCsv(csv));
  t.ok(isWaymarkError(err, 'WAYMARK_ERR_RISK_DATA'), err.message);
  t.same([...new Set(err.details.lines.map((l: any) => l.line))], [5, 6, 7, 8, 9, 10]);
  t.match(err.message, /^Unusable risk data: 6 bad row\(s\): line 5: rssi_dbm 'abc' is not a number; line 6: contact_s -1 is outside/);
  t.match(err.details.lines.find((l: any) => l.line === 7).problem, /surface 'wood' is not one of aerosol, copper/);
  t.match(err.details.lines.find((l: any) => l.line === 8).problem, /infected '2' is not 0 or 1/);
  t.match(err.details.lines.find((l: any) => l.line === 9).problem, /3 fields, the header has 5/);
  t.match(err.details.lines.find((l: any) => l.line === 10).problem, /rssi_dbm -200 is outside -127..20/);

  const header = errorOf(() => parseContactCsv('rssi,contact_s,checkin_gap_s,surface,infected\n-60,1,1,steel,1\n'));
  t.ok(isWaymarkError(header, 'WAYMARK_ERR_RISK_DATA'));
  t.match(header.message, /line 1: header must be rssi_dbm,contact_s,checkin_gap_s,surface,infected \(missing rssi_dbm; unknown rssi\)/);
  t.ok(isWaymarkError(errorOf(() => parseContactCsv('')), 'WAYMARK_ERR_RISK_DATA'), 'empty file');

  // columns in any order; surfaces case-insensitive; scoring without the outcome
  const rows = parseContactCsv('surface,infected,rssi_dbm,checkin_gap_s,contact_s\r\nCopper,1,-70.5,10,20\r\n');
  t.same(rows, [{ line: 2, rssiDbm: -70.5, contactS: 20, checkinGapS: 10, surface: 'copper', survivalH: 4, infected: 1 }]);
  t.same(parseContactCsv('rssi_dbm,contact_s,checkin_gap_s,surface\n-60,1,2,other\n', { requireOutcome: false })[0]!.survivalH, 30);
  t.same(SURFACE_SURVIVAL_H, { aerosol: 3, copper: 4, cardboard: 24, other: 30, steel: 48, plastic: 72 });
});

t.test('separable outcomes are a named error, never NaN or infinite coefficients', async (t) => {
  const rows = (f: (i: number) => [number, number, number, string, number]) =>
    [HEADER, ...Array.from({ length: 60 }, (_, i) => f(i).join(','))].join('\n');
  const surfaces = Object.keys(SURFACE_SURVIVAL_H);
  // complete separation: infected exactly when the RSSI is above -70
  const complete = rows((i) => [-100 + i, 60 * ((i * 7) % 13), 30 * ((i * 5) % 11), surfaces[i % 6]!, -100 + i > -70 ? 1 : 0]);
  const e1 = errorOf(() => fitS0Model(parseContactCsv(complete)));
  t.ok(isWaymarkError(e1, 'WAYMARK_ERR_RISK_SEPARATION'), e1.message);
  t.ok(e1.details.perfectlyPredicted > 0, `${e1.details.perfectlyPredicted} rows predicted perfectly`);
  // quasi-complete: separated except for ties at the boundary, which have both outcomes
  const quasi = rows((i) => {
    const rssi = -100 + Math.floor(i / 2) * 2;
    // the two rows at -70 dBm are the same contact with both outcomes: they cannot be separated
    if (rssi === -70) return [rssi, 600, 300, 'steel', i % 2];
    return [rssi, 60 * ((i * 7) % 13), 30 * ((i * 5) % 11), surfaces[i % 6]!, rssi > -70 ? 1 : 0];
  });
  const e2 = errorOf(() => fitS0Model(parseContactCsv(quasi)));
  t.ok(isWaymarkError(e2, 'WAYMARK_ERR_RISK_SEPARATION'), e2.message);
  t.ok(e2.details.perfectlyPredicted > 0 && e2.details.perfectlyPredicted <= 58, `${e2.details.perfectlyPredicted} of 60 predicted perfectly (the ties are not)`);
  // one outcome only
  const e3 = errorOf(() => fitS0Model(parseContactCsv(rows((i) => [-60 - i, i, i * 2, surfaces[i % 6]!, 0]))));
  t.ok(isWaymarkError(e3, 'WAYMARK_ERR_RISK_SEPARATION'));
  t.match(e3.message, /every row has infected = 0/);
});

t.test('a constant or collinear column, too few rows and no convergence are named too', async (t) => {
  const y = Uint8Array.from({ length: 40 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
  const x = Float64Array.from({ length: 40 }, (_, i) => Math.sin(i));
  const constant = errorOf(() => fitLogistic({ columns: [x, new Float64Array(40).fill(24)], names: ['x', 'survival_h'], y }));
  t.ok(isWaymarkError(constant, 'WAYMARK_ERR_RISK_DATA'));
  t.match(constant.details, { reason: 'collinear', column: 'survival_h' });
  const collinear = errorOf(() => fitLogistic({ columns: [x, x.map((v) => 3 * v + 1)], names: ['x', 'three_x'], y }));
  t.ok(isWaymarkError(collinear, 'WAYMARK_ERR_RISK_DATA'), collinear.message);
  t.match(collinear.details, { reason: 'collinear', column: 'three_x' });
  const tooFew = errorOf(() => fitLogistic({ columns: [Float64Array.of(1), Float64Array.of(2)], names: ['a', 'b'], y: Uint8Array.of(1) }));
  t.ok(isWaymarkError(tooFew, 'WAYMARK_ERR_RISK_DATA'));
  t.match(tooFew.message, /1 row\(s\) cannot fit 3 coefficients/);
  const slow = errorOf(() => fitS0Model(parseContactCsv(dataset), { maxIterations: 2 }));
  t.ok(isWaymarkError(slow, 'WAYMARK_ERR_RISK_NOT_CONVERGED'), slow.message);
  t.match(slow.message, /no convergence in 2 IRLS steps/);
});

t.test('a model file scores contacts; a bad one is WAYMARK_ERR_RISK_MODEL', async (t) => {
  const model = fitS0Model(parseContactCsv(dataset));
  const beta = parseRiskModel(JSON.stringify(model));
  const [row] = parseContactCsv(`${HEADER}\n-65,900,600,steel,1\n`);
  const s = scoreContact(beta, row!);
  const logit = beta.intercept + beta.rssi_dbm * -65 + beta.contact_s * 900 + beta.checkin_gap_s * 600 + beta.survival_h * 48;
  t.ok(Math.abs(s.logit - logit) < 1e-12);
  t.ok(Math.abs(s.probability - 1 / (1 + Math.exp(-logit))) < 1e-15, 'P = 1/(1+exp(-beta.x))');
  t.ok(Math.abs(s.probability - 1 / (1 + Math.exp(Object.keys(model.s0b).reduce((a, k) => a + (model.s0b as any)[k] * (k === 'intercept' ? 1 : { rssi_dbm: -65, contact_s: 900, checkin_gap_s: 600, survival_h: 48 }[k]!), 0)))) < 1e-15, "S0's form with b = -beta gives the same P");
  for (const bad of ['nope', '{}', '{"coefficients":{"intercept":1}}', JSON.stringify({ ...model, format: 'other/1' }), JSON.stringify({ coefficients: { ...model.coefficients, contact_s: null } })]) {
    t.ok(isWaymarkError(errorOf(() => parseRiskModel(bad)), 'WAYMARK_ERR_RISK_MODEL'), bad.slice(0, 40));
  }
});

t.test('waymark risk fit --json writes the model file that risk score reads; errors exit 2', async (t) => {
  const dir = t.testdir({ 'bad.csv': `${HEADER}\n-60,1,1,steel,1\nx,1,1,steel,0\n` });
  const fit = await cli(['risk', 'fit', '--csv', datasetPath.pathname, '--json']);
  t.equal(fit.code, 0, fit.stderr);
  const model = JSON.parse(fit.stdout);
  t.same(Object.keys(model.coefficients), ['intercept', 'rssi_dbm', 'contact_s', 'checkin_gap_s', 'survival_h']);
  t.same(Object.keys(model.stderr), Object.keys(model.coefficients));
  t.match(model, { logLikelihood: Number, iterations: Number, rows: 2000, infected: 612, format: 'waymark-risk-model/1' });
  const modelFile = join(dir, 'model.json');
  (await import('node:fs')).writeFileSync(modelFile, fit.stdout);
  const score = await cli(['risk', 'score', '--model', modelFile, '--csv', datasetPath.pathname, '--json']);
  t.equal(score.code, 0, score.stderr);
  const scores = JSON.parse(score.stdout).scores;
  t.equal(scores.length, 2000);
  t.equal(scores[0].line, 2);
  t.ok(scores.every((s: any) => s.probability > 0 && s.probability < 1));
  const text = await cli(['risk', 'fit', '--csv', datasetPath.pathname]);
  t.match(text.stdout, /S0 writes 1 \/ \(1 \+ exp\(b \. x\)\), so b = -beta/);
  const bad = await cli(['risk', 'fit', '--csv', join(dir, 'bad.csv')]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /WAYMARK_ERR_RISK_DATA/);
  t.match(bad.stderr, /line 3: rssi_dbm 'x' is not a number/);
});
