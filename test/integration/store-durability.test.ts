/**
 * Durable acknowledgements, counted at the system call: a check-in commit fsyncs the WAL
 * (synchronous=FULL), a sightings flush does not (synchronous=NORMAL, for SD-card wear).
 * strace counts fsync/fdatasync of a child doing only N commits; the difference between
 * two N cancels what opening the store costs.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/cli.js';
import { openDatabase, durableTransaction, batchedTransaction, commitCountsOf } from '../../kiosk/store/database.js';

function fsyncsFor(dir: string, kind: 'durable' | 'batched', count: number): number {
  const trace = join(dir, `${kind}-${count}.trace`);
  const r = spawnSync('strace', ['-f', '-e', 'trace=fsync,fdatasync', '-o', trace, process.execPath, '--import', 'tsx', 'test/fixtures/commit-probe.ts', join(dir, 'store.db'), kind, String(count)], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`strace run failed (${r.status}): ${r.stderr}`);
  return readFileSync(trace, 'utf8').split('\n').filter((l) => /\b(fsync|fdatasync)\(/.test(l)).length;
}

t.test('one fsync per check-in commit, none per sightings flush', async (t) => {
  const dir = t.testdir({});
  fsyncsFor(dir, 'batched', 1); // create the store first
  const durable = fsyncsFor(dir, 'durable', 30) - fsyncsFor(dir, 'durable', 10);
  const batched = fsyncsFor(dir, 'batched', 30) - fsyncsFor(dir, 'batched', 10);
  t.equal(durable, 20, `20 more check-in commits: ${durable} more fsyncs`);
  t.equal(batched, 0, `20 more sightings flushes: ${batched} more fsyncs`);
});

t.test('the commit counters behind /metrics', async (t) => {
  const db = openDatabase(join(t.testdir({}), 'store.db'));
  t.teardown(() => db.close());
  db.exec('CREATE TABLE probe (x INTEGER)');
  durableTransaction(db, () => db.prepare('INSERT INTO probe VALUES (1)').run());
  batchedTransaction(db, () => db.prepare('INSERT INTO probe VALUES (2)').run());
  batchedTransaction(db, () => db.prepare('INSERT INTO probe VALUES (3)').run());
  t.same(commitCountsOf(db), { durable: 1, batched: 2 });
  t.equal(db.pragma('synchronous', { simple: true }), 1, 'back to NORMAL after a durable commit');
  t.throws(() => durableTransaction(db, () => {
    throw new Error('boom');
  }));
  t.equal(db.pragma('synchronous', { simple: true }), 1, 'and after a failed one');
  t.same(commitCountsOf(db), { durable: 1, batched: 2 }, 'a rolled-back commit is not counted');
});
