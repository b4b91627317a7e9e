/**
 * Opens the kiosk's SQLite file (better-sqlite3) and brings its schema up to date with
 * numbered migrations, run once in order and recorded in `PRAGMA user_version`.
 * WAL with synchronous=NORMAL: a commit writes the WAL without fsync; checkpoints fsync.
 * secure_delete overwrites deleted rows, so shredded salts do not linger in free pages.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { WaymarkError } from '../../core/errors.js';
import { MIGRATIONS } from './migrations.js';

const require = createRequire(import.meta.url);

export type Database = BetterSqlite3.Database;

export function openDatabase(path: string): Database {
  const Sqlite = require('better-sqlite3') as typeof BetterSqlite3;
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let db: Database;
  try {
    db = new Sqlite(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('secure_delete = ON');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_STORE', `cannot open ${path}: ${(err as Error).message}`, { cause: err });
  }
  migrate(db);
  return db;
}

export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new WaymarkError('WAYMARK_ERR_STORE', `database schema version ${current} is newer than this Waymark (${MIGRATIONS.length})`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** `PRAGMA integrity_check` result: 'ok' or the problems found. */
export function integrityCheck(db: Database): string {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  return rows.map((r) => r.integrity_check).join('; ');
}
