/** Loads test/vectors/beacon-vectors.json for the beacon tests (shared by encoder and verifier tests). */
import { readFileSync } from 'node:fs';

export interface ValidBeaconVector {
  name: string;
  key: string;
  publicKey: string;
  fields: { kioskId: string; epoch: number; periodS: number; geohash: string; txPower: number };
  frame: string;
  fragments: string[];
  pages: { advertisement: string; scanResponse: string; fragments: [number, number] }[];
  extended: string;
  acceptedAt: { now: number; epochSkew: number }[];
}

export interface InvalidBeaconVector {
  name: string;
  publicKey: string;
  now: number;
  frame?: string;
  fragments?: string[];
  error: string;
}

export interface BeaconVectors {
  serviceUuid16: string;
  signingDomain: string;
  keys: Record<string, { secretKey: string; publicKey: string; kioskId: string }>;
  valid: ValidBeaconVector[];
  invalid: InvalidBeaconVector[];
}

export const vectorsFile = new URL('../../vectors/beacon-vectors.json', import.meta.url);
export const vectors: BeaconVectors = JSON.parse(readFileSync(vectorsFile, 'utf8'));
