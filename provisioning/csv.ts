/**
 * A small RFC 4180 CSV reader for bulk provisioning sheets: quoted fields (with "" and
 * line breaks inside), CRLF or LF, a header row naming the columns; each row keeps its
 * line number so failures can be reported against the sheet.
 */
import { WaymarkError } from '../core/errors.js';

export interface CsvRow {
  /** 1-based line of the sheet where the row starts (the header is line 1). */
  line: number;
  values: Record<string, string>;
}

export interface CsvTable {
  columns: string[];
  rows: CsvRow[];
}

/** Splits CSV text into records of fields, with each record's starting line. */
export function parseCsvRecords(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a spreadsheet's byte-order mark
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field === '') {
      quoted = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += ch;
    }
  }
  if (quoted) throw new WaymarkError('WAYMARK_ERR_FILE_FORMAT', `CSV: a quoted field opened on line ${recordLine} is never closed`, { details: { line: recordLine } });
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}

/** Parses a sheet with a header row; `required` columns must be present (names are trimmed and lower-cased). */
export function parseCsv(text: string, opts: { required?: string[]; known?: string[] } = {}): CsvTable {
  const records = parseCsvRecords(text);
  if (records.length === 0) throw new WaymarkError('WAYMARK_ERR_FILE_FORMAT', 'CSV: the file is empty (a header row is needed)');
  const columns = records[0].fields.map((c) => c.trim().toLowerCase());
  const missing = (opts.required ?? []).filter((c) => !columns.includes(c));
  if (missing.length) throw new WaymarkError('WAYMARK_ERR_FILE_FORMAT', `CSV: the header lacks column(s) ${missing.join(', ')} (it has ${columns.join(', ')})`, { details: { missing } });
  if (opts.known) {
    const unknown = columns.filter((c) => !opts.known!.includes(c));
    if (unknown.length) throw new WaymarkError('WAYMARK_ERR_FILE_FORMAT', `CSV: unknown column(s) ${unknown.join(', ')} (known: ${opts.known.join(', ')})`, { details: { unknown } });
  }
  const rows = records.slice(1).map((r) => {
    const values: Record<string, string> = {};
    columns.forEach((c, i) => { values[c] = (r.fields[i] ?? '').trim(); });
    if (r.fields.length > columns.length) values.__extra = r.fields.slice(columns.length).join(',');
    return { line: r.line, values };
  });
  return { columns, rows };
}
