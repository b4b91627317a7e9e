/**
 * The contact CSV of `waymark risk fit` and `score`: one contact per row, the S0 features
 * (RSSI, contact time dt_B, check-in gap dt_C, surface) and, for fitting, the outcome.
 * Parsing is all-or-nothing: every bad row is named by its line number before anything is
 * fitted. Pure (no Node API), like the rest of risk/.
 */
import { WaymarkError } from '../core/errors.js';

/** S0's surface-survival term: how long the virus survives on the surface, hours. */
export const SURFACE_SURVIVAL_H = {
  aerosol: 3,
  copper: 4,
  cardboard: 24,
  other: 30,
  steel: 48,
  plastic: 72,
} as const;

export type Surface = keyof typeof SURFACE_SURVIVAL_H;

export const CONTACT_CSV_COLUMNS = ['rssi_dbm', 'contact_s', 'checkin_gap_s', 'surface', 'infected'] as const;

export interface ContactRow {
  /** 1-based line of the CSV text the row came from. */
  line: number;
  /** Filtered RSSI of the contact, dBm (-127..+20). */
  rssiDbm: number;
  /** Contact duration dt_B, seconds (>= 0). */
  contactS: number;
  /** Check-in time difference dt_C = |t_i - t_j|, seconds (>= 0). */
  checkinGapS: number;
  surface: Surface;
  /** SURFACE_SURVIVAL_H of the surface. */
  survivalH: number;
  /** 0 or 1; undefined when the CSV has no `infected` column (scoring). */
  infected?: 0 | 1;
}

export interface BadRow {
  line: number;
  column?: string;
  problem: string;
}

/** At most this many bad rows are spelled out in the message (all are in details). */
const SHOWN = 5;

/**
 * Rows of a contact CSV. The header names the columns (any order; `infected` may be absent
 * when `requireOutcome` is false). Blank lines and lines starting with `#` are skipped.
 */
export function parseContactCsv(text: string, opts: { requireOutcome?: boolean } = {}): ContactRow[] {
  const requireOutcome = opts.requireOutcome ?? true;
  const lines = text.split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  if (headerAt < 0) throw new WaymarkError('WAYMARK_ERR_RISK_DATA', 'the CSV is empty (no header)', { details: { lines: [] } });
  const header = lines[headerAt]!.split(',').map((h) => h.trim().toLowerCase());
  const need = requireOutcome ? CONTACT_CSV_COLUMNS : CONTACT_CSV_COLUMNS.filter((c) => c !== 'infected');
  const missing = need.filter((c) => !header.includes(c));
  const unknown = header.filter((h) => !(CONTACT_CSV_COLUMNS as readonly string[]).includes(h));
  const dup = header.filter((h, i) => header.indexOf(h) !== i);
  if (missing.length || unknown.length || dup.length) {
    const what = [
      ...(missing.length ? [`missing ${missing.join(', ')}`] : []),
      ...(unknown.length ? [`unknown ${unknown.join(', ')}`] : []),
      ...(dup.length ? [`repeated ${dup.join(', ')}`] : []),
    ].join('; ');
    throw new WaymarkError('WAYMARK_ERR_RISK_DATA', `line ${headerAt + 1}: header must be ${CONTACT_CSV_COLUMNS.join(',')} (${what})`, {
      details: { lines: [{ line: headerAt + 1, problem: what }] },
    });
  }
  const col = Object.fromEntries(CONTACT_CSV_COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<(typeof CONTACT_CSV_COLUMNS)[number], number>;
  const rows: ContactRow[] = [];
  const bad: BadRow[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    const line = i + 1;
    const cells = raw.split(',').map((c) => c.trim());
    if (cells.length !== header.length) {
      bad.push({ line, problem: `${cells.length} fields, the header has ${header.length}` });
      continue;
    }
    const problems: BadRow[] = [];
    const num = (name: 'rssi_dbm' | 'contact_s' | 'checkin_gap_s', min: number, max: number): number => {
      const t = cells[col[name]]!;
      const v = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
      if (!Number.isFinite(v)) problems.push({ line, column: name, problem: `${name} '${t}' is not a number` });
      else if (v < min || v > max) problems.push({ line, column: name, problem: `${name} ${t} is outside ${min}..${max}` });
      return v;
    };
    const rssiDbm = num('rssi_dbm', -127, 20);
    const contactS = num('contact_s', 0, Number.MAX_VALUE);
    const checkinGapS = num('checkin_gap_s', 0, Number.MAX_VALUE);
    const surfaceText = cells[col.surface]!.toLowerCase();
    const surface = Object.prototype.hasOwnProperty.call(SURFACE_SURVIVAL_H, surfaceText) ? (surfaceText as Surface) : undefined;
    if (!surface) problems.push({ line, column: 'surface', problem: `surface '${cells[col.surface]}' is not one of ${Object.keys(SURFACE_SURVIVAL_H).join(', ')}` });
    let infected: 0 | 1 | undefined;
    if (col.infected >= 0) {
      const t = cells[col.infected]!;
      if (t === '0' || t === '1') infected = Number(t) as 0 | 1;
      else problems.push({ line, column: 'infected', problem: `infected '${t}' is not 0 or 1` });
    }
    if (problems.length) {
      bad.push(...problems);
      continue;
    }
    rows.push({ line, rssiDbm, contactS, checkinGapS, surface: surface!, survivalH: SURFACE_SURVIVAL_H[surface!], ...(infected === undefined ? {} : { infected }) });
  }
  if (bad.length) {
    const badLines = new Set(bad.map((b) => b.line)).size;
    const shown = bad.slice(0, SHOWN).map((b) => `line ${b.line}: ${b.problem}`).join('; ');
    throw new WaymarkError('WAYMARK_ERR_RISK_DATA', `${badLines} bad row(s): ${shown}${bad.length > SHOWN ? `; and ${bad.length - SHOWN} more` : ''}`, {
      details: { lines: bad },
    });
  }
  return rows;
}
