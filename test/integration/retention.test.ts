/**
 * Retention of check-in records on a real SQLite file, driven by a manual clock: the kiosk's
 * sweep deletes attestations past `retention.days` (batched or not) and their proofs (batch
 * leaves), keeps the recent ones provable, and never signs a kiosk seq twice afterwards.
 */
import t from 'tap';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { DAY_MS, ManualClock } from '../../core/clock.js';
import { parseConfig } from '../../core/config.js';
import { ANVIL_DEV_KEYS } from '../../contracts/anvil.js';
import { Kiosk } from '../../kiosk/kiosk.js';
import { CheckinService } from '../../kiosk/checkin/service.js';
import { BatchStore } from '../../kiosk/batcher/batch-store.js';
import { Batcher } from '../../kiosk/batcher/batcher.js';
import { attestationRecordSource } from '../../kiosk/batcher/attestation-source.js';
import { batchRoutes } from '../../kiosk/http/batch-routes.js';
import { buildHttpApp } from '../../kiosk/http/server.js';
import { PushScanner } from '../helpers/push-scanner.js';

const T0 = Date.UTC(2026, 2, 1, 9);
const HOUR = 3_600_000;
const KEY = ANVIL_DEV_KEYS[3]!;

async function kioskWithCheckin(t: { teardown: (fn: () => Promise<void>) => void }, dir: string, clock: ManualClock) {
  const config = parseConfig({ dataDir: dir, retention: { days: 14, sweepIntervalS: 3600 }, batch: { maxAgeS: 60 } });
  const kiosk = new Kiosk({ config, clock, scanner: new PushScanner() });
  await kiosk.start();
  const service = new CheckinService({
    db: kiosk.database, clock, key: new Wallet(KEY), chainId: 31337, registry: '0x5FbDB2315678afecb367f032d93F642f64180aa3', venueId: 1,
    geohash: config.venue.geohash, settings: config.checkin,
  });
  const store = new BatchStore(kiosk.database);
  const batcher = new Batcher({ store, sources: [attestationRecordSource(service.records)], maxRecords: 100, maxAgeS: 60 });
  const app = await buildHttpApp(kiosk, { plugins: [batchRoutes(store)] });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
    await kiosk.stop();
  };
  t.teardown(stop);
  let visitor = 0;
  const checkIn = () => service.tapCheckin({ visitor: new Uint8Array(32).fill(++visitor), rssiDbm: -30, peer: `p${visitor}` });
  const proof = async (id: string) => {
    const res = await app.inject({ url: `/v1/records/${id}/proof` });
    return { status: res.statusCode, body: res.json() };
  };
  const rows = (sql: string, ...args: unknown[]) => kiosk.database.prepare(sql).all(...args) as Record<string, unknown>[];
  return { kiosk, service, store, batcher, checkIn, proof, rows, stop };
}

t.test('batched attestations past retention go with their proofs; recent ones stay provable', async (t) => {
  const clock = new ManualClock(T0);
  const k = await kioskWithCheckin(t, t.testdir({}), clock);

  // batch 0: one attestation that will be wholly past the period
  const a0 = k.checkIn();
  clock.advance(2 * 60_000);
  t.equal(k.batcher.tick(clock.now()).length, 1);
  // batch 1: one attestation that will be past the period and one that will not
  clock.set(T0 + 1 * DAY_MS);
  const a1 = k.checkIn();
  clock.set(T0 + 3 * DAY_MS);
  const a2 = k.checkIn();
  clock.advance(2 * 60_000);
  t.same(k.batcher.tick(clock.now()).map((b) => b.count), [2]);
  // unbatched and recent
  clock.set(T0 + 14 * DAY_MS);
  const a3 = k.checkIn();
  for (const a of [a0, a1, a2]) t.equal((await k.proof(a.id)).status, 200, 'every batched record proves before the sweep');

  // past 14 days after a0 and a1, not after a2 and a3
  clock.set(T0 + 15 * DAY_MS + 2 * HOUR);
  k.kiosk.flushNow();

  const left = k.rows('SELECT id, batch_seq AS seq FROM attestations ORDER BY kiosk_seq');
  t.same(left, [{ id: a2.id, seq: 1 }, { id: a3.id, seq: null }], 'a0 and a1 deleted; a2 (batched) and a3 (waiting) kept');
  t.same(k.kiosk.status().retention.records, { attestationsDeleted: 2, unbatchedAttestationsDeleted: 0, leavesForgotten: 1, leavesDeleted: 1 });

  const gone0 = await k.proof(a0.id);
  t.equal(gone0.status, 404, 'no proof of a0');
  t.equal(gone0.body.error.code, 'WAYMARK_ERR_NOT_FOUND');
  t.same(k.rows('SELECT record_id FROM batch_records WHERE seq = 0'), [], 'batch 0, wholly past the period, has no leaves left');
  t.same(k.rows('SELECT seq FROM batches ORDER BY seq').map((r) => r.seq), [0, 1], 'the batches themselves stay as the outbox history');

  const gone1 = await k.proof(a1.id);
  t.equal(gone1.status, 404, 'no proof of a1');
  t.match(gone1.body.error.message, /past the retention period/);
  t.same(k.rows('SELECT leaf, leaf_encoding AS enc, opening FROM batch_records WHERE record_id = ?', `a-${a1.id}`), [{ leaf: null, enc: null, opening: null }],
    'a1\'s leaf values are forgotten; its hash stays so a2 still proves');

  const kept = await k.proof(a2.id);
  t.equal(kept.status, 200);
  t.ok(StandardMerkleTree.verify(kept.body.root, kept.body.leafEncoding, kept.body.leaf, kept.body.proof), 'a2 proves against batch 1\'s root');
  t.equal(kept.body.root, k.store.get(1)!.root);

  // the next sweep, an hour later, has nothing more to do
  clock.advance(HOUR);
  k.kiosk.flushNow();
  t.same(k.kiosk.status().retention.records, { attestationsDeleted: 0, unbatchedAttestationsDeleted: 0, leavesForgotten: 0, leavesDeleted: 0 });
});

t.test('unbatched attestations past retention are deleted too, and the kiosk seq never repeats', async (t) => {
  const dir = t.testdir({});
  const clock = new ManualClock(T0);
  let k = await kioskWithCheckin(t, dir, clock);
  // anchoring off: nothing is ever batched
  const old = [k.checkIn(), k.checkIn()];
  clock.set(T0 + 10 * DAY_MS);
  const recent = k.checkIn();
  t.same(old.map((a) => a.typedData.message.seq), [0, 1]);

  clock.set(T0 + 14 * DAY_MS + 2 * HOUR);
  k.kiosk.flushNow();
  t.same(k.rows('SELECT id FROM attestations').map((r) => r.id), [recent.id], 'the unbatched ones past the period are gone');
  t.match(k.kiosk.status().retention.records, { attestationsDeleted: 2, unbatchedAttestationsDeleted: 2 });

  // a month later everything is gone; a restarted kiosk still continues its seqs
  clock.set(T0 + 30 * DAY_MS);
  k.kiosk.flushNow();
  t.same(k.rows('SELECT id FROM attestations'), []);
  await k.stop();
  k = await kioskWithCheckin(t, dir, clock);
  t.equal(k.checkIn().typedData.message.seq, 3, 'seq 3 after 0, 1, 2, though their rows are deleted');
});

t.test('on an unsynchronized clock the records are kept (a clock running ahead must not delete them)', async (t) => {
  const clock = new ManualClock(T0);
  const k = await kioskWithCheckin(t, t.testdir({}), clock);
  const a = k.checkIn();
  clock.setSyncStatus({ synced: false, source: 'none' });
  clock.set(T0 + 20 * DAY_MS);
  k.kiosk.flushNow();
  t.same(k.rows('SELECT id FROM attestations').map((r) => r.id), [a.id], 'kept while unsynced');
  clock.setSyncStatus({ synced: true, source: 'manual' });
  clock.advance(2 * HOUR);
  k.kiosk.flushNow();
  t.same(k.rows('SELECT id FROM attestations'), [], 'deleted at the first sweep on a synced clock');
});
