/**
 * Low-pass filters for one address's RSSI stream. Samples arrive at irregular
 * intervals (a phone advertises every 100-1000 ms and some packets are lost), so both
 * filters are written for a variable time step dt.
 *
 * EMA (default): a first-order low-pass (RC) filter with time constant tau,
 *   alpha = 1 - exp(-dt / tau),   y <- y + alpha * (x - y).
 * Its step response reaches 1 - 1/e (63 %) of a step after tau seconds whatever the
 * sampling rate, and for white noise of variance s^2 sampled every dt << tau the
 * output variance is about s^2 * dt / (2 tau).
 *
 * Kalman: a scalar random-walk model, x_k = x_{k-1} + w (Var w = q * dt), z_k = x_k + v
 * (Var v = r):  P <- P + q dt;  K = P / (P + r);  y <- y + K (z - y);  P <- (1 - K) P.
 * It adapts its gain to the sample rate and starts fast (P0 = r).
 */

export interface RssiFilterState {
  /** Filtered RSSI, dBm. */
  value: number;
  /** Time of the last sample, ms. */
  time: number;
  /** Kalman error variance (unused by EMA). */
  p: number;
}

export interface RssiFilter {
  readonly kind: 'ema' | 'kalman';
  /** Start a filter at the first sample. */
  init(rssi: number, timeMs: number): RssiFilterState;
  /** Feed one sample; mutates and returns the filtered value. */
  update(state: RssiFilterState, rssi: number, timeMs: number): number;
}

/** The step a sample with no time gap to the previous one is given, ms. */
const MIN_STEP_MS = 100;

export function emaFilter(timeConstantS: number): RssiFilter {
  if (!(timeConstantS > 0)) throw new RangeError(`timeConstantS must be > 0, got ${timeConstantS}`);
  const tauMs = timeConstantS * 1000;
  return {
    kind: 'ema',
    init: (rssi, timeMs) => ({ value: rssi, time: timeMs, p: 0 }),
    update(state, rssi, timeMs) {
      // Reports in the same millisecond (advert + scan response) or out of order still
      // count, as if one typical advertising interval apart.
      const dt = timeMs > state.time ? timeMs - state.time : MIN_STEP_MS;
      state.value += (1 - Math.exp(-dt / tauMs)) * (rssi - state.value);
      if (timeMs > state.time) state.time = timeMs;
      return state.value;
    },
  };
}

export function kalmanFilter(processNoise: number, measurementNoise: number): RssiFilter {
  if (!(processNoise > 0)) throw new RangeError(`processNoise must be > 0, got ${processNoise}`);
  if (!(measurementNoise > 0)) throw new RangeError(`measurementNoise must be > 0, got ${measurementNoise}`);
  const qPerMs = processNoise / 1000;
  const r = measurementNoise;
  return {
    kind: 'kalman',
    init: (rssi, timeMs) => ({ value: rssi, time: timeMs, p: r }),
    update(state, rssi, timeMs) {
      const dt = Math.max(0, timeMs - state.time);
      const p = state.p + qPerMs * dt;
      const k = p / (p + r);
      state.value += k * (rssi - state.value);
      state.p = (1 - k) * p;
      state.time = timeMs;
      return state.value;
    },
  };
}

export type RssiFilterConfig =
  | { kind: 'ema'; timeConstantS: number }
  | { kind: 'kalman'; processNoise: number; measurementNoise: number };

export function createRssiFilter(config: RssiFilterConfig): RssiFilter {
  return config.kind === 'ema' ? emaFilter(config.timeConstantS) : kalmanFilter(config.processNoise, config.measurementNoise);
}
