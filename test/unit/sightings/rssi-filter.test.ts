import t from 'tap';
import { emaFilter, kalmanFilter, createRssiFilter } from '../../../kiosk/sightings/rssi-filter.js';

/** Deterministic Gaussian noise (mulberry32 + Box-Muller) so the test never flakes. */
function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uni = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uni())) * Math.cos(2 * Math.PI * uni());
}

t.test('EMA step response reaches 1 - 1/e of a step after one time constant', async (t) => {
  const f = emaFilter(4);
  const s = f.init(-80, 0);
  let v = -80;
  for (let ms = 100; ms <= 4000; ms += 100) v = f.update(s, -60, ms);
  // 63.2 % of the 20 dB step
  t.ok(Math.abs(v - (-80 + 20 * (1 - Math.exp(-1)))) < 0.01, `after tau: ${v}`);
  for (let ms = 4100; ms <= 40000; ms += 100) v = f.update(s, -60, ms);
  t.ok(Math.abs(v + 60) < 0.01, `settles on the new level: ${v}`);
});

t.test('EMA step response does not depend on the sampling rate', async (t) => {
  const fast = emaFilter(2);
  const slow = emaFilter(2);
  const a = fast.init(-90, 0);
  const b = slow.init(-90, 0);
  let va = 0;
  let vb = 0;
  for (let ms = 100; ms <= 3000; ms += 100) va = fast.update(a, -50, ms);
  for (let ms = 1000; ms <= 3000; ms += 1000) vb = slow.update(b, -50, ms);
  t.ok(Math.abs(va - vb) < 1e-9, `${va} vs ${vb}`);
});

t.test('EMA reduces noise by about sqrt(dt / 2 tau)', async (t) => {
  const noise = gaussian(7);
  const sigma = 6;
  const f = emaFilter(5);
  const s = f.init(-70, 0);
  let sumSq = 0;
  let rawSq = 0;
  let n = 0;
  for (let i = 1; i <= 200_000; i++) {
    const x = -70 + sigma * noise();
    const y = f.update(s, x, i * 200);
    if (i > 1000) {
      sumSq += (y + 70) ** 2;
      rawSq += (x + 70) ** 2;
      n++;
    }
  }
  const rawSd = Math.sqrt(rawSq / n);
  const outSd = Math.sqrt(sumSq / n);
  // alpha = 1 - exp(-0.04) ~ 0.0392; steady-state variance = alpha / (2 - alpha) * sigma^2
  const alpha = 1 - Math.exp(-0.2 / 5);
  const expected = sigma * Math.sqrt(alpha / (2 - alpha));
  t.ok(Math.abs(rawSd - sigma) < 0.1, `raw sd ${rawSd}`);
  t.ok(Math.abs(outSd - expected) / expected < 0.05, `filtered sd ${outSd} vs theory ${expected}`);
  t.ok(outSd < rawSd / 5, `noise reduced ${rawSd / outSd}x`);
});

t.test('Kalman filter converges to a constant level and cuts noise', async (t) => {
  const noise = gaussian(11);
  const f = kalmanFilter(0.5, 36);
  const s = f.init(-60, 0);
  let sumSq = 0;
  let n = 0;
  for (let i = 1; i <= 50_000; i++) {
    const y = f.update(s, -75 + 6 * noise(), i * 200);
    if (i > 500) {
      sumSq += (y + 75) ** 2;
      n++;
    }
  }
  const sd = Math.sqrt(sumSq / n);
  t.ok(sd < 2, `filtered sd ${sd} (raw 6)`);
  t.ok(s.p > 0 && s.p < 36, `error variance settles: ${s.p}`);
});

t.test('Kalman tracks a step', async (t) => {
  const f = kalmanFilter(2, 16);
  const s = f.init(-80, 0);
  let v = 0;
  for (let ms = 100; ms <= 20_000; ms += 100) v = f.update(s, -50, ms);
  t.ok(Math.abs(v + 50) < 0.5, `tracks the step: ${v}`);
});

t.test('a sample at the same millisecond still moves the filter', async (t) => {
  const f = emaFilter(1);
  const s = f.init(-80, 1000);
  const v = f.update(s, -40, 1000);
  t.ok(v > -80 && v < -40, `${v}`);
  t.equal(s.time, 1000);
});

t.test('createRssiFilter and argument checks', async (t) => {
  t.equal(createRssiFilter({ kind: 'ema', timeConstantS: 1 }).kind, 'ema');
  t.equal(createRssiFilter({ kind: 'kalman', processNoise: 1, measurementNoise: 1 }).kind, 'kalman');
  t.throws(() => emaFilter(0), RangeError);
  t.throws(() => kalmanFilter(-1, 1), RangeError);
  t.throws(() => kalmanFilter(1, 0), RangeError);
});
