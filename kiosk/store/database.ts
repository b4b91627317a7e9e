/**
 * Opens the kiosk's SQLite file (better-sqlite3) and brings its schema up to date with
 * named migrations, each run once in order and recorded in the `migrations` table.
 * WAL with synchronous=NORMAL: a batched commit (sightings) writes the WAL without fsync and
 * checkpoints fsync; a durable commit (check-ins, `durableTransaction`) runs with
 * synchronous=FULL, so the WAL is fsynced before the visitor is answered.
 * secure_delete overwrites deleted rows, so shredded salts do not linger in free pages.
 */
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { WaymarkError } from '../../core/errors.js';
import { assertPrivateFile, createPrivateFile, ensurePrivateDir, restrictFiles } from '../../core/private-files.js';
import { MIGRATIONS, type Migration } from './migrations.js';

const require = createRequire(import.meta.url);

export type Database = BetterSqlite3.Database;

export function openDatabase(path: string): Database {
  const Sqlite = require('better-sqlite3') as typeof BetterSqlite3;
  const onDisk = path !== ':memory:';
  if (onDisk) {
    // the store holds the address salts: only the kiosk's user may read it
    ensurePrivateDir(dirname(path));
    assertPrivateFile(path, 'the store');
    createPrivateFile(path);
  }
  let db: Database;
  try {
    db = new Sqlite(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('secure_delete = ON');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (onDisk) restrictFiles(path, `${path}-wal`, `${path}-shm`);
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_STORE', `cannot open ${path}: ${(err as Error).message}`, { cause: err });
  }
  migrate(db);
  return db;
}

/** Commits per kind of durability, per database: what `/metrics` reports. */
export interface CommitCounts {
  /** Commits with synchronous=FULL: each fsyncs the WAL before returning. */
  durable: number;
  /** Commits with synchronous=NORMAL: no fsync at commit (the WAL is fsynced at checkpoints). */
  batched: number;
}

const commitCounts = new WeakMap<Database, CommitCounts>();

export function commitCountsOf(db: Database): CommitCounts {
  let c = commitCounts.get(db);
  if (!c) commitCounts.set(db, (c = { durable: 0, batched: 0 }));
  return c;
}

/**
 * Runs `fn` in a transaction that is on disk when it returns: synchronous=FULL for this
 * commit only (one fsync of the WAL), NORMAL again afterwards. For acknowledgements a
 * visitor relies on; a power cut after the answer loses nothing.
 */
export function durableTransaction<T>(db: Database, fn: () => T): T {
  db.pragma('synchronous = FULL');
  try {
    const result = db.transaction(fn)();
    commitCountsOf(db).durable++;
    return result;
  } finally {
    db.pragma('synchronous = NORMAL');
  }
}

/** Runs `fn` in an ordinary (batched, not fsynced) transaction and counts it. */
export function batchedTransaction<T>(db: Database, fn: () => T): T {
  const result = db.transaction(fn)();
  commitCountsOf(db).batched++;
  return result;
}

export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): void {
  db.exec('CREATE TABLE IF NOT EXISTS migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const applied = new Set((db.prepare('SELECT id FROM migrations').all() as { id: string }[]).map((r) => r.id));
  const known = new Set(migrations.map((m) => m.id));
  const unknown = [...applied].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new WaymarkError('WAYMARK_ERR_STORE', `the database was written by a newer Waymark (unknown migrations: ${unknown.join(', ')})`);
  }
  const record = db.prepare('INSERT INTO migrations (id, applied_at) VALUES (?, ?)');
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.id, Date.now());
    })();
  }
}

/** `PRAGMA integrity_check` result: 'ok' or the problems found. */
export function integrityCheck(db: Database): string {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  return rows.map((r) => r.integrity_check).join('; ');
}
