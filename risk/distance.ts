/**
 * RSSI -> distance with the log-distance path-loss model, calibrated by the TX power the
 * kiosk's beacon signs (the RSSI a receiver sees at 1 m, like iBeacon's measured power):
 *
 *   rssi(d) = txPower - 10 n log10(d) + X,   X ~ N(0, sigma)   =>   d = 10 ^ ((txPower - rssi) / (10 n))
 *
 * The attenuation txPower - rssi is in dB beyond 1 m. The estimate is weak: one sigma of
 * shadowing multiplies the distance by 10^(sigma / (10 n)) either way (x1.6 at the
 * simulator's 4.5 dB and n = 2.2), so every estimate carries its one-sigma interval. Pure.
 */

/** The simulator's defaults (sim/venue.ts): n = 2.2; per-packet shadowing 4 dB and a 2 dB device spread, sqrt(4^2 + 2^2). */
export const DEFAULT_PATH_LOSS_EXPONENT = 2.2;
export const DEFAULT_SHADOWING_SIGMA_DB = 4.5;
/** The beacon's default calibrated RSSI at 1 m (core/config.ts beacon.txPowerDbm). */
export const DEFAULT_TX_POWER_DBM = -59;

export interface PathLossModel {
  /** Calibrated RSSI at 1 m, dBm: the beacon frame's txPower. */
  txPowerDbm: number;
  /** Path-loss exponent n: 2 in free space, 2.5-4 indoors with people and walls. */
  pathLossExponent?: number;
  /** Standard deviation of the shadowing, dB: sets the interval. */
  shadowingSigmaDb?: number;
}

export interface DistanceEstimate {
  distanceM: number;
  /** The one-sigma interval of the estimate, m. */
  lowM: number;
  highM: number;
  /** txPower - rssi, dB beyond 1 m. */
  attenuationDb: number;
  pathLossExponent: number;
  shadowingSigmaDb: number;
}

function check(name: string, x: number, ok: boolean): void {
  if (!ok) throw new RangeError(`${name} must be a finite number in range, got ${x}`);
}

export function estimateDistance(rssiDbm: number, model: PathLossModel): DistanceEstimate {
  const n = model.pathLossExponent ?? DEFAULT_PATH_LOSS_EXPONENT;
  const sigma = model.shadowingSigmaDb ?? DEFAULT_SHADOWING_SIGMA_DB;
  check('rssiDbm', rssiDbm, Number.isFinite(rssiDbm) && rssiDbm >= -127 && rssiDbm <= 20);
  check('txPowerDbm', model.txPowerDbm, Number.isFinite(model.txPowerDbm) && model.txPowerDbm >= -127 && model.txPowerDbm <= 20);
  check('pathLossExponent', n, Number.isFinite(n) && n > 0);
  check('shadowingSigmaDb', sigma, Number.isFinite(sigma) && sigma >= 0);
  const attenuationDb = model.txPowerDbm - rssiDbm;
  const at = (db: number) => 10 ** (db / (10 * n));
  return { distanceM: at(attenuationDb), lowM: at(attenuationDb - sigma), highM: at(attenuationDb + sigma), attenuationDb, pathLossExponent: n, shadowingSigmaDb: sigma };
}

/** The mean RSSI the model expects at `distanceM` (the inverse of estimateDistance). */
export function expectedRssi(distanceM: number, model: Pick<PathLossModel, 'txPowerDbm' | 'pathLossExponent'>): number {
  check('distanceM', distanceM, Number.isFinite(distanceM) && distanceM > 0);
  return model.txPowerDbm - 10 * (model.pathLossExponent ?? DEFAULT_PATH_LOSS_EXPONENT) * Math.log10(distanceM);
}
