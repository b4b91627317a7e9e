/**
 * Every fuzz property, by parser family. `fuzz.test.ts` runs them all a few times in `npm test`;
 * `run.ts` (`npm run fuzz`) runs them with their full share of a million inputs.
 */
import type { FuzzProperty } from './harness.js';
import { adStructureProperties } from './ad-structures.js';
import { hciProperties } from './hci.js';
import { beaconProperties } from './beacon.js';
import { btsnoopProperties } from './btsnoop.js';
import { configProperties } from './config.js';
import { checkinTokenProperties } from './checkin-token.js';
import { tapFrameProperties } from './tap-frames.js';
import { serialPayloadProperties } from './serial-payloads.js';
import { walletProperties } from './wallet.js';
import { httpProperties } from './http.js';

export const FUZZ_PROPERTIES: readonly FuzzProperty[] = [
  ...adStructureProperties,
  ...hciProperties,
  ...beaconProperties,
  ...btsnoopProperties,
  ...configProperties,
  ...checkinTokenProperties,
  ...tapFrameProperties,
  ...serialPayloadProperties,
  ...walletProperties,
  ...httpProperties,
];

/** Inputs of the default `npm run fuzz`. */
export const DEFAULT_TOTAL_RUNS = FUZZ_PROPERTIES.reduce((n, p) => n + p.runs, 0);
