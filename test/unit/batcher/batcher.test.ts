import t from 'tap';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { Wallet } from 'ethers';
import { BatchStore } from '../../../kiosk/batcher/batch-store.js';
import { Batcher } from '../../../kiosk/batcher/batcher.js';
import { sessionRecordSource } from '../../../kiosk/batcher/session-source.js';
import { attestationRecordSource } from '../../../kiosk/batcher/attestation-source.js';
import { recordProof, getBatch, listBatches } from '../../../kiosk/batcher/queries.js';
import { AttestationStore } from '../../../kiosk/checkin/records.js';
import { AttestationSigner } from '../../../kiosk/checkin/attestation-signer.js';
import { isWaymarkError } from '../../../core/errors.js';
import { addSessions, openStore, session, T0 } from './helpers.js';

function setup(t: any, opts: { maxRecords?: number; maxAgeS?: number } = {}) {
  const { db, sightings, path } = openStore(t);
  const store = new BatchStore(db);
  const batcher = new Batcher({ store, sources: [sessionRecordSource(sightings)], maxRecords: opts.maxRecords ?? 5, maxAgeS: opts.maxAgeS ?? 60 });
  return { db, sightings, store, batcher, path };
}

t.test('a batch closes on size: maxRecords records, oldest first, the rest wait', async (t) => {
  const { sightings, store, batcher } = setup(t, { maxRecords: 5 });
  addSessions(sightings, [1, 2, 3, 4, 5, 6, 7].map((i) => session(i, T0 + i * 1000)));
  const made = batcher.tick(T0 + 8000);
  t.equal(made.length, 1, 'one full batch; two records are not due yet');
  t.match(made[0], { seq: 0, count: 5, state: 'pending', fromTime: Math.floor((T0 - 59_000) / 1000), toTime: (T0 + 5000) / 1000 });
  t.equal(sightings.unbatchedSessionStats().count, 2);
  t.same(sightings.unbatchedSessions(10).map((s) => s.id), [6, 7]);
  t.equal(batcher.tick(T0 + 9000).length, 0);
});

t.test('a batch closes on age: not before the oldest record is maxAgeS old', async (t) => {
  const { sightings, batcher } = setup(t, { maxRecords: 100, maxAgeS: 60 });
  addSessions(sightings, [session(1, T0), session(2, T0 + 30_000)]);
  t.equal(batcher.tick(T0 + 59_999).length, 0);
  const [row] = batcher.tick(T0 + 60_000);
  t.match(row, { seq: 0, count: 2 });
  addSessions(sightings, [session(3, T0 + 61_000)]);
  t.equal(batcher.tick(T0 + 62_000).length, 0);
  t.match(batcher.tick(T0 + 121_000), [{ seq: 1, count: 1 }], 'seqs count up');
});

t.test('seq numbering starts at the chain\'s next seq and survives a reopen', async (t) => {
  const { db, sightings, store, batcher } = setup(t, { maxRecords: 1 });
  batcher.firstSeq = 7;
  addSessions(sightings, [session(1, T0), session(2, T0)]);
  t.same(batcher.tick(T0).map((b) => b.seq), [7, 8]);
  t.equal(new BatchStore(db).nextSeq(), 9);
  t.equal(store.nextSeq(20), 20);
});

t.test('batch, leaves and marks are one transaction: a failing source leaves nothing behind', async (t) => {
  const { db, sightings, store } = setup(t);
  addSessions(sightings, [session(1, T0), session(2, T0)]);
  const sessions = sessionRecordSource(sightings);
  const broken = { name: 'broken', pending: () => ({ count: 1, oldestReadyAt: T0 }), take: () => [{ id: 'x-1', leafEncoding: ['uint256'], leaf: [1], fromMs: T0, toMs: T0, readyAt: T0 }], markBatched: () => { throw new Error('disk on fire'); } };
  const batcher = new Batcher({ store, sources: [sessions, broken], maxRecords: 10, maxAgeS: 1 });
  t.throws(() => batcher.cut(T0 + 5000), /disk on fire/);
  t.equal(store.counts().total, 0, 'no batch row');
  t.equal((db.prepare('SELECT COUNT(*) AS n FROM batch_records').get() as { n: number }).n, 0, 'no leaves');
  t.equal(sightings.unbatchedSessionStats().count, 2, 'sessions still unbatched');
});

t.test('open sessions are never batched; a record is in at most one batch', async (t) => {
  const { sightings, store, batcher } = setup(t, { maxRecords: 10, maxAgeS: 1 });
  addSessions(sightings, [session(1, T0), session(2, T0, { closed: false })]);
  t.match(batcher.tick(T0 + 10_000), [{ count: 1 }]);
  t.throws(() => sightings.markSessionsBatched([1], 5), /not a closed, unbatched session/);
  addSessions(sightings, [session(2, T0 + 5000)]);
  t.match(batcher.tick(T0 + 20_000), [{ seq: 1, count: 1 }]);
  t.equal(store.record('s-1')!.seq, 0);
  t.equal(store.record('s-2')!.seq, 1);
});

t.test('sessions and check-in attestations share a batch; every proof verifies', async (t) => {
  const { db, sightings, store } = setup(t);
  const attestations = new AttestationStore(db);
  const signer = new AttestationSigner({ key: Wallet.createRandom(), chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3', venueId: 1, geohash: 'u4pruydqq' });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const att = attestations.recordCheckin(T0 + i, undefined, () => signer.attest({ visitor: `0x${String(i + 1).repeat(64)}`, time: T0 / 1000 + i, seq: i, presence: 'qr-token' }));
    ids.push(att.id);
  }
  addSessions(sightings, [session(1, T0), session(2, T0 + 1)]);
  const batcher = new Batcher({ store, sources: [sessionRecordSource(sightings), attestationRecordSource(attestations)], maxRecords: 100, maxAgeS: 1 });
  const [row] = batcher.tick(T0 + 10_000);
  t.match(row, { seq: 0, count: 5 });
  t.equal(attestations.counts().unbatched, 0, 'attestations marked batched');
  for (const id of ['s-1', 's-2', ...ids.map((i) => `a-${i}`), ids[0]!]) {
    const p = recordProof(store, id);
    t.equal(p.root, row!.root);
    t.equal(p.seq, 0);
    t.equal(p.txHash, null);
    t.equal(p.state, 'pending');
    t.ok(StandardMerkleTree.verify(p.root, p.leafEncoding, p.leaf, p.proof), `proof of ${id}`);
  }
  t.same(recordProof(store, ids[1]!).leaf, [ids[1]!.toLowerCase()], 'an attestation\'s leaf is its digest');
});

t.test('queries: lists, one batch, unknown ones; retention forgets leaves but keeps other proofs', async (t) => {
  const { sightings, store, batcher } = setup(t, { maxRecords: 2 });
  addSessions(sightings, [1, 2, 3, 4].map((i) => session(i, T0 + i)));
  batcher.tick(T0 + 10);
  const list = listBatches(store, { limit: 1 });
  t.same(list.counts, { pending: 2, sent: 0, confirmed: 0, total: 2, lastConfirmedSeq: null, lastConfirmed: null });
  t.same(list.batches.map((b) => b.seq), [1]);
  t.same(listBatches(store, { before: 1 }).batches.map((b) => b.seq), [0]);
  t.match(getBatch(store, 1), { seq: 1, count: 2, transactions: [] });
  t.throws(() => getBatch(store, 9), { code: 'WAYMARK_ERR_NOT_FOUND' });
  t.throws(() => recordProof(store, 's-99'), { code: 'WAYMARK_ERR_NOT_FOUND' });

  const db = store.db;
  db.prepare("UPDATE batch_records SET record_time = 0 WHERE record_id = 's-1'").run();
  t.equal(store.pruneLeaves(1000), 1);
  const opened = db.prepare("SELECT leaf, opening FROM batch_records WHERE record_id = 's-1'").get() as { leaf: string | null; opening: string | null };
  t.same(opened, { leaf: null, opening: null }, 'leaf values and the blind are gone');
  try {
    recordProof(store, 's-1');
    t.fail('pruned record has no proof');
  } catch (err) {
    t.ok(isWaymarkError(err, 'WAYMARK_ERR_NOT_FOUND'));
  }
  const p = recordProof(store, 's-2');
  t.ok(StandardMerkleTree.verify(p.root, p.leafEncoding, p.leaf, p.proof), 'the other record of the batch still proves');
});
