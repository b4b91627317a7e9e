/**
 * The one reader of `waymark` command flags: each helper takes node:util parseArgs values
 * and a flag name, and either returns the parsed value or throws WAYMARK_ERR_USAGE
 * (exit 2) worded the same way everywhere: `--name must be …, got '…'`.
 *
 * Helpers return undefined for an absent flag; `{ required: true }` (or a placeholder
 * such as 'PATH', shown in the message) makes absence an error instead. A flag with a
 * parseArgs default is never absent. An empty string flag counts as absent; an empty
 * number, choice, URL or hex flag is refused like any other bad value.
 */
import { WaymarkError } from '../core/errors.js';
import { GEOHASH_ALPHABET } from '../contracts/validate.js';
import type { CliValues } from './command.js';

/** A required flag; a string names its value in the message: `--link PATH is required`. */
interface Required {
  required: true | string;
}

/** Bounds of a number flag. `above` excludes its bound, `min` and `max` include theirs. */
export interface NumberRange {
  min?: number;
  above?: number;
  max?: number;
  /** Unit for the message, e.g. 'seconds': "a number above 0 (seconds)". */
  unit?: string;
}

/** Throws WAYMARK_ERR_USAGE with `message`; `flag` goes into the error's details. */
export function usage(message: string, flag?: string): never {
  throw new WaymarkError('WAYMARK_ERR_USAGE', message, flag === undefined ? {} : { details: { field: flag } });
}

function mustBe(name: string, what: string, text: string): never {
  return usage(`--${name} must be ${what}, got '${text}'`, name);
}

/** The flag's text ('' included): undefined when absent, a usage error when required. */
function text(values: CliValues, name: string, required?: true | string): string | undefined {
  const v = values[name];
  if (v !== undefined && typeof v !== 'string') return usage(`--${name} takes one value`, name);
  if (required && (v === undefined || v === '')) usage(`--${name}${typeof required === 'string' ? ` ${required}` : ''} is required`, name);
  return v;
}

export function stringFlag(values: CliValues, name: string, opts: Required): string;
export function stringFlag(values: CliValues, name: string, opts?: Partial<Required>): string | undefined;
export function stringFlag(values: CliValues, name: string, opts: Partial<Required> = {}): string | undefined {
  const t = text(values, name, opts.required);
  return t === '' ? undefined : t;
}

/** Every value of a `multiple: true` flag (none: []). */
export function stringsFlag(values: CliValues, name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** A boolean flag: true only when given. */
export function booleanFlag(values: CliValues, name: string): boolean {
  return values[name] === true;
}

/** A whole number from `min` to `max` (decimal digits, optional sign). */
export function intFlag(values: CliValues, name: string, range: { min: number; max: number } & Required): number;
export function intFlag(values: CliValues, name: string, range: { min: number; max: number } & Partial<Required>): number | undefined;
export function intFlag(values: CliValues, name: string, range: { min: number; max: number } & Partial<Required>): number | undefined {
  const t = text(values, name, range.required);
  if (t === undefined) return undefined;
  const n = Number(t.trim());
  if (!/^[+-]?\d+$/.test(t.trim()) || !Number.isSafeInteger(n) || n < range.min || n > range.max) {
    mustBe(name, `a whole number from ${range.min} to ${range.max}`, t);
  }
  return n;
}

/**
 * The flag's text as a whole number for a check of its own that names the error (a capacity
 * policy, say): digits give the number, anything else NaN. Absent: a usage error when required.
 */
export function wholeNumberText(values: CliValues, name: string, opts: Required): number {
  const t = text(values, name, opts.required)!.trim();
  return /^\d{1,15}$/.test(t) ? Number(t) : Number.NaN;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A finite decimal number within `range`. */
export function numberFlag(values: CliValues, name: string, range: NumberRange & Required): number;
export function numberFlag(values: CliValues, name: string, range?: NumberRange & Partial<Required>): number | undefined;
export function numberFlag(values: CliValues, name: string, range: NumberRange & Partial<Required> = {}): number | undefined {
  const t = text(values, name, range.required);
  if (t === undefined) return undefined;
  const n = Number(t.trim());
  const ok = DECIMAL.test(t.trim()) && Number.isFinite(n)
    && (range.min === undefined || n >= range.min)
    && (range.above === undefined || n > range.above)
    && (range.max === undefined || n <= range.max);
  if (!ok) mustBe(name, describe(range), t);
  return n;
}

/** A number above 0 (and at most `max`). */
export function positiveNumberFlag(values: CliValues, name: string, range: Omit<NumberRange, 'min' | 'above'> & Required): number;
export function positiveNumberFlag(values: CliValues, name: string, range?: Omit<NumberRange, 'min' | 'above'> & Partial<Required>): number | undefined;
export function positiveNumberFlag(values: CliValues, name: string, range: Omit<NumberRange, 'min' | 'above'> & Partial<Required> = {}): number | undefined {
  return numberFlag(values, name, { ...range, above: 0 });
}

function describe(r: NumberRange): string {
  const unit = r.unit ? ` (${r.unit})` : '';
  if (r.above === 0 && r.min === undefined && r.max === undefined) return `a positive number${unit}`;
  if (r.min !== undefined && r.max !== undefined) return `a number from ${r.min} to ${r.max}${unit}`;
  const bounds = [
    ...(r.above !== undefined ? [`above ${r.above}`] : []),
    ...(r.min !== undefined ? [`of at least ${r.min}`] : []),
    ...(r.max !== undefined ? [`${r.above !== undefined ? '' : 'of '}at most ${r.max}`] : []),
  ];
  return `a number${bounds.length ? ' ' + bounds.join(' and ') : ''}${unit}`;
}

/** One of `choices`. */
export function choiceFlag<const C extends readonly string[]>(values: CliValues, name: string, choices: C, opts: Required): C[number];
export function choiceFlag<const C extends readonly string[]>(values: CliValues, name: string, choices: C, opts?: Partial<Required>): C[number] | undefined;
export function choiceFlag<const C extends readonly string[]>(values: CliValues, name: string, choices: C, opts: Partial<Required> = {}): C[number] | undefined {
  const t = text(values, name, opts.required);
  if (t === undefined) return undefined;
  if (!choices.includes(t)) {
    const list = choices.length === 2 ? `${choices[0]} or ${choices[1]}` : `one of ${choices.join(', ')}`;
    mustBe(name, list, t);
  }
  return t;
}

/** An http(s) URL (as given). */
export function urlFlag(values: CliValues, name: string, opts: Required): string;
export function urlFlag(values: CliValues, name: string, opts?: Partial<Required>): string | undefined;
export function urlFlag(values: CliValues, name: string, opts: Partial<Required> = {}): string | undefined {
  const t = text(values, name, opts.required);
  if (t === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(t);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || /\s/.test(t)) mustBe(name, 'an http(s) URL', t);
  return t;
}

/** An EVM address: 0x and 40 hex digits (as given; not checksummed here). */
export function addressFlag(values: CliValues, name: string, opts: Required): string;
export function addressFlag(values: CliValues, name: string, opts?: Partial<Required>): string | undefined;
export function addressFlag(values: CliValues, name: string, opts: Partial<Required> = {}): string | undefined {
  const t = text(values, name, opts.required);
  if (t === undefined) return undefined;
  if (!/^0x[0-9a-fA-F]{40}$/.test(t)) mustBe(name, 'an address (0x and 40 hex digits)', t);
  return t;
}

/** `bytes` bytes written as hex digits (an optional 0x in front). */
export function hexFlag(values: CliValues, name: string, opts: { bytes: number } & Required): Uint8Array;
export function hexFlag(values: CliValues, name: string, opts: { bytes: number } & Partial<Required>): Uint8Array | undefined;
export function hexFlag(values: CliValues, name: string, opts: { bytes: number } & Partial<Required>): Uint8Array | undefined {
  const t = text(values, name, opts.required);
  return t === undefined ? undefined : parseHex(name, t, opts.bytes);
}

/**
 * Hex text of one flag value (`label` as in `--frames item 2`), any even length or exactly
 * `bytes` bytes. For the items of `multiple` flags; hexFlag reads a single one.
 */
export function parseHex(label: string, t: string, bytes?: number): Uint8Array {
  const flag = label.startsWith('--') ? label : `--${label}`;
  const clean = /^0x/i.test(t) ? t.slice(2) : t;
  const what = bytes === undefined ? 'hex digits (an even number of them)' : `${2 * bytes} hex digits (${bytes} bytes)`;
  if (!/^([0-9a-fA-F]{2})*$/.test(clean) || (bytes !== undefined && clean.length !== 2 * bytes)) {
    usage(`${flag} must be ${what}, got '${t}'`, flag.slice(2).split(' ')[0]);
  }
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** The largest Unix time the registry's uint40 time fields hold. */
const MAX_UNIX_TIME = 2 ** 40 - 1;

/** A registry venue id (1 and up). */
export function venueIdFlag(values: CliValues, name = 'venue'): number {
  return intFlag(values, name, { min: 1, max: Number.MAX_SAFE_INTEGER, required: 'ID' });
}

/** Unix seconds that fit the registry's uint40 time fields. */
export function unixTimeFlag(values: CliValues, name: string, opts: Partial<Required> = {}): number | undefined {
  return intFlag(values, name, { min: 0, max: MAX_UNIX_TIME, required: opts.required === true ? 'UNIX' : opts.required });
}

/** A geohash prefix of 1 to 8 characters (a region). */
export function geohashPrefixFlag(values: CliValues, name: string, opts: Partial<Required> = {}): string | undefined {
  const t = stringFlag(values, name, { required: opts.required === true ? 'PREFIX' : opts.required });
  if (t !== undefined && !(t.length >= 1 && t.length <= 8 && [...t].every((c) => GEOHASH_ALPHABET.includes(c)))) {
    mustBe(name, 'a geohash prefix of 1 to 8 characters (0-9, b-z without a i l o)', t);
  }
  return t;
}
