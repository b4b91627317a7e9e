/**
 * What every fuzz property module shares: the FuzzProperty shape (a named fast-check property
 * with its share of the `npm run fuzz` budget), one way to run it, the "only a WaymarkError
 * with one of these codes may escape" check, and byte mutators for damaging valid inputs.
 */
import fc from 'fast-check';
import { isWaymarkError, type ErrorCode, type WaymarkError } from '../../core/errors.js';

export interface FuzzCheck {
  property: fc.IRawProperty<any, any>;
  /** Frees what building the property opened (an app, a database, a temporary directory). */
  close?: () => void | Promise<void>;
}

export interface FuzzProperty {
  /** `family: what is fed to what`. */
  readonly name: string;
  /** Inputs in the default `npm run fuzz` run; all the properties' shares add up to over a million. */
  readonly runs: number;
  /** Builds the property afresh for each check, so checks never share state. */
  build(): FuzzCheck | Promise<FuzzCheck>;
}

export interface FuzzOutcome {
  name: string;
  /** Inputs actually tried (fewer than asked when a counterexample was found). */
  runs: number;
  ms: number;
  /** fast-check's report: counterexample, seed and replay path. */
  failure?: string;
}

export async function checkFuzzProperty(p: FuzzProperty, numRuns: number, seed: number): Promise<FuzzOutcome> {
  let built: FuzzCheck;
  try {
    built = await p.build();
  } catch (err) {
    return { name: p.name, runs: 0, ms: 0, failure: `could not build the property: ${(err as Error)?.stack ?? String(err)}` };
  }
  const start = performance.now();
  try {
    const details = await fc.check(built.property, { numRuns, seed, includeErrorInReport: true });
    const ms = performance.now() - start;
    return details.failed
      ? { name: p.name, runs: details.numRuns, ms, failure: fc.defaultReportMessage(details) ?? `failed (seed ${seed})` }
      : { name: p.name, runs: details.numRuns, ms };
  } finally {
    await built.close?.();
  }
}

/** Why a thrown value is not an acceptable outcome, for the failure report. */
function describe(err: unknown): string {
  if (isWaymarkError(err)) return `WaymarkError ${err.code}: ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}\n${err.stack ?? ''}`;
  return `non-Error thrown: ${String(err)}`;
}

export class EscapedError extends Error {
  constructor(what: string, err: unknown, codes: readonly ErrorCode[]) {
    super(`${what} threw something other than a WaymarkError with code ${codes.join(' | ')}: ${describe(err)}`, { cause: err });
    this.name = 'EscapedError';
  }
}

/**
 * Runs a parser: its result, or the WaymarkError it threw if the code is one of `codes`.
 * Anything else (a TypeError, a RangeError, another code) fails the property.
 */
export function parseOrRefuse<T>(what: string, codes: readonly ErrorCode[], run: () => T): { ok: true; value: T } | { ok: false; error: WaymarkError } {
  try {
    return { ok: true, value: run() };
  } catch (err) {
    if (isWaymarkError(err) && codes.includes(err.code)) return { ok: false, error: err };
    throw new EscapedError(what, err, codes);
  }
}

export async function parseOrRefuseAsync<T>(what: string, codes: readonly ErrorCode[], run: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: WaymarkError }> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    if (isWaymarkError(err) && codes.includes(err.code)) return { ok: false, error: err };
    throw new EscapedError(what, err, codes);
  }
}

export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'delete'; at: number }
  | { op: 'insert'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'append'; bytes: Uint8Array };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
);

/** Applies mutations (positions taken modulo the current length); never changes `bytes`. */
export function applyMutations(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = bytes.slice();
  for (const m of mutations) {
    const n = out.length;
    switch (m.op) {
      case 'flip':
        if (n > 0) out[m.at % n] ^= 1 << m.bit;
        break;
      case 'set':
        if (n > 0) out[m.at % n] = m.value;
        break;
      case 'delete':
        if (n > 0) out = Uint8Array.from([...out.subarray(0, m.at % n), ...out.subarray((m.at % n) + 1)]);
        break;
      case 'insert': {
        const at = m.at % (n + 1);
        out = Uint8Array.from([...out.subarray(0, at), m.value, ...out.subarray(at)]);
        break;
      }
      case 'truncate':
        out = out.slice(0, m.at % (n + 1));
        break;
      case 'append':
        out = Uint8Array.from([...out, ...m.bytes]);
        break;
    }
  }
  return out;
}

export const mutationsArb = (maxLength = 3): fc.Arbitrary<Mutation[]> => fc.array(mutationArb, { minLength: 1, maxLength });

/** Valid inputs from `valid`, damaged by one to `maxMutations` mutations. */
export function mutated(valid: fc.Arbitrary<Uint8Array>, maxMutations = 3): fc.Arbitrary<{ original: Uint8Array; bytes: Uint8Array }> {
  return fc.tuple(valid, mutationsArb(maxMutations)).map(([original, ms]) => ({ original, bytes: applyMutations(original, ms) }));
}

/** Index of the first byte where `a` and `b` differ (the shorter length if one is a prefix of the other). */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? Infinity : n;
}

/** Arbitrary bytes: mostly short, sometimes zero-heavy (lengths and padding are often 0). */
export function bytesArb(maxLength: number): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.uint8Array({ maxLength }) },
    { weight: 1, arbitrary: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 })), { maxLength }).map((a) => Uint8Array.from(a)) },
  );
}
