/**
 * Maximum-likelihood logistic regression by iteratively reweighted least squares (IRLS):
 * the Newton-Raphson iteration on the Bernoulli log-likelihood, each step a weighted
 * least-squares solve of X'WX d = X'(y - mu).
 *
 * Numerically careful on purpose: the columns are centred and scaled before fitting (RSSI in
 * tens of dBm and durations in thousands of seconds would otherwise make X'WX badly
 * conditioned), the p x p system is solved by Cholesky, the log-likelihood is evaluated
 * with a stable softplus, and a step that lowers the likelihood is halved. Coefficients and
 * their covariance are mapped back to the original units at the end.
 *
 * Failures are named, never NaN: too few rows or a constant / collinear column is
 * WAYMARK_ERR_RISK_DATA, (quasi-)complete separation (no finite maximum exists) is
 * WAYMARK_ERR_RISK_SEPARATION, and running out of iterations otherwise is
 * WAYMARK_ERR_RISK_NOT_CONVERGED. Pure: no Node API.
 */
import { WaymarkError } from '../core/errors.js';

export interface LogisticData {
  /** Covariate columns (the intercept is added here), each of length n. */
  columns: readonly Float64Array[];
  /** One name per column, for messages. */
  names: readonly string[];
  /** Outcomes, 0 or 1, length n. */
  y: Uint8Array;
}

export interface IrlsOptions {
  /** Newton steps before giving up. Default 100. */
  maxIterations?: number;
  /** Converged when no standardized coefficient moves by more than this (relative, >= 1). Default 1e-10. */
  tolerance?: number;
}

export interface LogisticFit {
  /** Intercept first, then one per column, in the columns' own units. */
  coefficients: number[];
  /** Standard errors (square roots of the diagonal of the inverse Fisher information). */
  stderr: number[];
  logLikelihood: number;
  /** -2 log-likelihood. */
  deviance: number;
  /** Log-likelihood of the intercept-only model. */
  nullLogLikelihood: number;
  /** Newton steps taken. */
  iterations: number;
  rows: number;
  positives: number;
}

/** |eta| beyond which a fitted probability is 0 or 1 to ~1e-11: a sign of separation. */
const SEPARATED_ETA = 25;

export function fitLogistic(data: LogisticData, opts: IrlsOptions = {}): LogisticFit {
  const maxIterations = opts.maxIterations ?? 100;
  const tolerance = opts.tolerance ?? 1e-10;
  const { columns, names, y } = data;
  const n = y.length;
  const k = columns.length;
  const p = k + 1;
  if (names.length !== k) throw new RangeError(`names: ${names.length} for ${k} columns`);
  for (const c of columns) if (c.length !== n) throw new RangeError(`every column needs ${n} values`);
  if (n < p) {
    throw new WaymarkError('WAYMARK_ERR_RISK_DATA', `${n} row(s) cannot fit ${p} coefficients`, { details: { reason: 'too-few-rows', rows: n } });
  }
  let positives = 0;
  for (let i = 0; i < n; i++) {
    if (y[i] !== 0 && y[i] !== 1) throw new RangeError(`y[${i}] must be 0 or 1`);
    positives += y[i]!;
  }
  if (positives === 0 || positives === n) {
    throw new WaymarkError('WAYMARK_ERR_RISK_SEPARATION', `every row has infected = ${positives ? 1 : 0}: the intercept alone separates them`, {
      details: { rows: n, positives, perfectlyPredicted: n },
    });
  }

  // centre and scale: z = (x - mean) / sd
  const mean = new Float64Array(k);
  const sd = new Float64Array(k);
  const z: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const x = columns[j]!;
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i]!;
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[i]! - m) ** 2;
    const s = Math.sqrt(v / n);
    if (!(s > 1e-12 * Math.max(1, Math.abs(m)))) {
      throw new WaymarkError('WAYMARK_ERR_RISK_DATA', `column ${names[j]} is constant (${m}): the intercept already stands for it`, {
        details: { reason: 'collinear', column: names[j] },
      });
    }
    mean[j] = m;
    sd[j] = s;
    const zj = new Float64Array(n);
    for (let i = 0; i < n; i++) zj[i] = (x[i]! - m) / s;
    z.push(zj);
  }

  const nullLogLikelihood = positives * Math.log(positives / n) + (n - positives) * Math.log((n - positives) / n);
  // start from the intercept-only fit
  let beta = new Float64Array(p);
  beta[0] = Math.log(positives / (n - positives));
  let eta = linearPredictor(z, beta, n);
  let ll = logLikelihood(eta, y);
  const grad = new Float64Array(p);
  const hess = new Float64Array(p * p);
  let iterations = 0;
  let converged = false;
  let lastStep = Infinity;
  while (iterations < maxIterations) {
    accumulate(z, y, eta, grad, hess, p, n);
    const chol = cholesky(hess, p);
    if (!chol) {
      if (iterations === 0) throw collinear(hess, p, names);
      throw separation(eta, y, n, 'X\'WX became singular as fitted probabilities reached 0 or 1');
    }
    const delta = solveCholesky(chol, grad, p);
    let step = 1;
    let next = beta;
    let nextEta = eta;
    let nextLl = -Infinity;
    for (let halvings = 0; halvings < 40; halvings++) {
      next = new Float64Array(p);
      for (let j = 0; j < p; j++) next[j] = beta[j]! + step * delta[j]!;
      nextEta = linearPredictor(z, next, n);
      nextLl = logLikelihood(nextEta, y);
      if (nextLl >= ll - 1e-12 * Math.abs(ll)) break;
      step /= 2;
    }
    iterations++;
    let moved = 0;
    let size = 1;
    for (let j = 0; j < p; j++) {
      moved = Math.max(moved, Math.abs(next[j]! - beta[j]!));
      size = Math.max(size, Math.abs(next[j]!));
    }
    beta = next;
    eta = nextEta;
    ll = nextLl;
    lastStep = moved;
    if (moved <= tolerance * size) {
      converged = true;
      break;
    }
    // every row fitted with probability 0 or 1: complete separation, the likelihood tends to 1
    if (ll > -1e-9) throw separation(eta, y, n, 'the likelihood reached 1: every row is fitted with the probability of its own outcome');
  }
  if (!converged) {
    const perfect = perfectlyPredicted(eta, y, n);
    if (perfect > 0) throw separation(eta, y, n, `the coefficients were still growing after ${iterations} steps`);
    throw new WaymarkError('WAYMARK_ERR_RISK_NOT_CONVERGED', `no convergence in ${iterations} IRLS steps (last step ${lastStep.toExponential(2)} in standardized units)`, {
      details: { iterations, lastStep, logLikelihood: ll },
    });
  }

  // the covariance at the optimum, then back to the original units:
  // beta_j = b_j / sd_j,  beta_0 = b_0 - sum_j b_j mean_j / sd_j  (a linear map A: cov = A C A')
  accumulate(z, y, eta, grad, hess, p, n);
  const chol = cholesky(hess, p);
  if (!chol) throw separation(eta, y, n, 'X\'WX is singular at the optimum');
  const cov = invertCholesky(chol, p);
  const a = new Float64Array(p * p);
  a[0] = 1;
  for (let j = 1; j < p; j++) {
    a[j] = -mean[j - 1]! / sd[j - 1]!;
    a[j * p + j] = 1 / sd[j - 1]!;
  }
  const coefficients = new Array<number>(p).fill(0);
  for (let r = 0; r < p; r++) for (let c = 0; c < p; c++) coefficients[r]! += a[r * p + c]! * beta[c]!;
  const stderr = new Array<number>(p);
  for (let r = 0; r < p; r++) {
    let v = 0;
    for (let c = 0; c < p; c++) for (let d = 0; d < p; d++) v += a[r * p + c]! * cov[c * p + d]! * a[r * p + d]!;
    stderr[r] = Math.sqrt(v);
  }
  return { coefficients, stderr, logLikelihood: ll, deviance: -2 * ll, nullLogLikelihood, iterations, rows: n, positives };
}

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** 1 / (1 + e^-x) without overflow. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function linearPredictor(z: readonly Float64Array[], beta: Float64Array, n: number): Float64Array {
  const eta = new Float64Array(n).fill(beta[0]!);
  for (let j = 0; j < z.length; j++) {
    const b = beta[j + 1]!;
    const zj = z[j]!;
    for (let i = 0; i < n; i++) eta[i] += b * zj[i]!;
  }
  return eta;
}

/** sum y eta - log(1 + e^eta): the Bernoulli log-likelihood with a logit link. */
function logLikelihood(eta: Float64Array, y: Uint8Array): number {
  let ll = 0;
  for (let i = 0; i < eta.length; i++) ll += y[i]! * eta[i]! - softplus(eta[i]!);
  return ll;
}

/** grad = Z'(y - mu), hess = Z'WZ with W = mu (1 - mu); Z has a leading column of ones. */
function accumulate(z: readonly Float64Array[], y: Uint8Array, eta: Float64Array, grad: Float64Array, hess: Float64Array, p: number, n: number): void {
  grad.fill(0);
  hess.fill(0);
  const row = new Float64Array(p);
  row[0] = 1;
  for (let i = 0; i < n; i++) {
    const mu = sigmoid(eta[i]!);
    const w = mu * (1 - mu);
    const r = y[i]! - mu;
    for (let j = 1; j < p; j++) row[j] = z[j - 1]![i]!;
    for (let a = 0; a < p; a++) {
      const ra = row[a]!;
      grad[a] += ra * r;
      const wa = w * ra;
      for (let b = 0; b <= a; b++) hess[a * p + b] += wa * row[b]!;
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) hess[b * p + a] = hess[a * p + b]!;
}

/** Lower-triangular L with L L' = m, or null when m is not (numerically) positive definite. */
function cholesky(m: Float64Array, p: number): Float64Array | null {
  const l = new Float64Array(p * p);
  let maxDiag = 0;
  for (let i = 0; i < p; i++) maxDiag = Math.max(maxDiag, m[i * p + i]!);
  if (!(maxDiag > 0)) return null;
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = m[i * p + j]!;
      for (let k = 0; k < j; k++) s -= l[i * p + k]! * l[j * p + k]!;
      if (i === j) {
        // a pivot this small relative to the largest diagonal means a (near) linear dependence
        if (!(s > 1e-13 * maxDiag)) return null;
        l[i * p + i] = Math.sqrt(s);
      } else {
        l[i * p + j] = s / l[j * p + j]!;
      }
    }
  }
  return l;
}

function solveCholesky(l: Float64Array, b: Float64Array, p: number): Float64Array {
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * p + k]! * y[k]!;
    y[i] = s / l[i * p + i]!;
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < p; k++) s -= l[k * p + i]! * x[k]!;
    x[i] = s / l[i * p + i]!;
  }
  return x;
}

function invertCholesky(l: Float64Array, p: number): Float64Array {
  const inv = new Float64Array(p * p);
  const e = new Float64Array(p);
  for (let c = 0; c < p; c++) {
    e.fill(0);
    e[c] = 1;
    const x = solveCholesky(l, e, p);
    for (let r = 0; r < p; r++) inv[r * p + c] = x[r]!;
  }
  return inv;
}

function perfectlyPredicted(eta: Float64Array, y: Uint8Array, n: number): number {
  let count = 0;
  for (let i = 0; i < n; i++) if ((y[i] === 1 && eta[i]! > SEPARATED_ETA) || (y[i] === 0 && eta[i]! < -SEPARATED_ETA)) count++;
  return count;
}

function separation(eta: Float64Array, y: Uint8Array, n: number, why: string): WaymarkError {
  const perfect = perfectlyPredicted(eta, y, n);
  return new WaymarkError('WAYMARK_ERR_RISK_SEPARATION', `${why}; ${perfect} of ${n} rows are fitted with probability 0 or 1 (|logit| > ${SEPARATED_ETA}), so the maximum-likelihood coefficients are infinite`, {
    details: { rows: n, perfectlyPredicted: perfect },
  });
}

/** Names the columns of the (numerically) singular X'X: a constant combination of others. */
function collinear(hess: Float64Array, p: number, names: readonly string[]): WaymarkError {
  // find the first column that the ones before it (and the intercept) already explain
  for (let q = 2; q <= p; q++) {
    const sub = new Float64Array(q * q);
    for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) sub[a * q + b] = hess[a * p + b]!;
    if (!cholesky(sub, q)) {
      const name = names[q - 2]!;
      return new WaymarkError('WAYMARK_ERR_RISK_DATA', `column ${name} is a linear combination of the intercept and the columns before it`, {
        details: { reason: 'collinear', column: name },
      });
    }
  }
  return new WaymarkError('WAYMARK_ERR_RISK_DATA', 'the columns are collinear', { details: { reason: 'collinear' } });
}
