import t from 'tap';
import { readFileSync } from 'node:fs';
import { ERRORS, WaymarkError, isWaymarkError } from '../../../core/errors.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const rows = [...doc.matchAll(/^\| (WAYMARK_ERR_[A-Z0-9_]+) \| (\d{3}) \| (.+?) \|$/gm)].map((m) => ({
  code: m[1], status: Number(m[2]), message: m[3],
}));

t.test('docs/errors.md and core/errors.ts list the same codes', async (t) => {
  t.same(rows.map((r) => r.code).sort(), Object.keys(ERRORS).sort());
});

t.test('status and message agree for every code', async (t) => {
  for (const row of rows) {
    const spec = ERRORS[row.code as keyof typeof ERRORS];
    t.equal(spec?.status, row.status, `${row.code} status`);
    t.equal(spec?.message, row.message, `${row.code} message`);
  }
});

t.test('every code is explained below the table', async (t) => {
  for (const code of Object.keys(ERRORS)) t.match(doc, new RegExp(`\\*\\*${code}\\*\\* — `), code);
});

t.test('WaymarkError carries code, status and details', async (t) => {
  const err = new WaymarkError('WAYMARK_ERR_BAD_REQUEST', 'visitor must be 32 bytes hex', { details: { field: 'visitor' } });
  t.equal(err.code, 'WAYMARK_ERR_BAD_REQUEST');
  t.equal(err.statusCode, 400);
  t.equal(err.message, 'Bad request: visitor must be 32 bytes hex');
  t.same(err.toJSON(), { error: { code: 'WAYMARK_ERR_BAD_REQUEST', message: err.message, details: { field: 'visitor' } } });
  t.ok(isWaymarkError(err, 'WAYMARK_ERR_BAD_REQUEST'));
  t.notOk(isWaymarkError(err, 'WAYMARK_ERR_NOT_FOUND'));
});
