import t from 'tap';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { Kiosk } from '../../../kiosk/kiosk.js';
import { buildHttpApp } from '../../../kiosk/http/server.js';
import { batchRoutes } from '../../../kiosk/http/batch-routes.js';
import { BatchStore } from '../../../kiosk/batcher/batch-store.js';
import { Batcher } from '../../../kiosk/batcher/batcher.js';
import { sessionRecordSource } from '../../../kiosk/batcher/session-source.js';
import { batchMetricSources } from '../../../kiosk/metrics.js';
import { parseConfig } from '../../../core/config.js';
import { ManualClock } from '../../../core/clock.js';
import { PushScanner } from '../../helpers/push-scanner.js';
import { addSessions, session, T0 } from './helpers.js';

async function setup(t: any) {
  const config = parseConfig({ dataDir: t.testdir({}), store: { flushIntervalMs: 60000 } });
  const kiosk = new Kiosk({ config, clock: new ManualClock(T0), scanner: new PushScanner() });
  await kiosk.start();
  const store = new BatchStore(kiosk.database);
  const batcher = new Batcher({ store, sources: [sessionRecordSource(kiosk.store)], maxRecords: 3, maxAgeS: 60 });
  addSessions(kiosk.store, [1, 2, 3, 4].map((i) => session(i, T0 - 120_000 + i)));
  batcher.tick(T0);
  store.recordSent({ txHash: `0x${'11'.repeat(32)}`, seq: 0, nonce: 4, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n, raw: '0x02', sentAt: T0 });
  store.markConfirmed(0, `0x${'11'.repeat(32)}`, 12, T0);
  const figures = () => ({ batches: store.counts(), waitingRecords: 0, sender: { commitFailures: 3, reorgs: 1, rebroadcasts: 2, repriced: 4 } });
  const app = await buildHttpApp(kiosk, { plugins: [batchRoutes(store)], metrics: batchMetricSources(figures) });
  t.teardown(async () => {
    await app.close();
    await kiosk.stop();
  });
  return { app, store };
}

t.test('GET /v1/batches and /v1/batches/:seq show the outbox', async (t) => {
  const { app } = await setup(t);
  const list = (await app.inject('/v1/batches')).json();
  t.match(list.counts, { pending: 1, sent: 0, confirmed: 1, total: 2, lastConfirmedSeq: 0, lastConfirmed: { seq: 0, txHash: /^0x[0-9a-f]{64}$/ } });
  t.same(list.batches.map((b: any) => [b.seq, b.state, b.count]), [[1, 'pending', 1], [0, 'confirmed', 3]]);
  t.same((await app.inject('/v1/batches?state=confirmed')).json().batches.map((b: any) => b.seq), [0]);
  const one = (await app.inject('/v1/batches/0')).json();
  t.match(one, { seq: 0, state: 'confirmed', txHash: `0x${'11'.repeat(32)}`, blockNumber: 12, transactions: [{ nonce: 4, maxFeePerGas: '2' }] });
  t.notOk('raw' in one.transactions[0], 'signed transactions are not served');
});

t.test('GET /v1/records/:id/proof verifies with StandardMerkleTree.verify', async (t) => {
  const { app } = await setup(t);
  const res = await app.inject('/v1/records/s-2/proof');
  t.equal(res.statusCode, 200);
  const p = res.json();
  t.same(Object.keys(p).sort(), ['blockNumber', 'leaf', 'leafEncoding', 'proof', 'root', 'seq', 'state', 'txHash']);
  t.equal(p.seq, 0);
  t.equal(p.txHash, `0x${'11'.repeat(32)}`);
  t.ok(StandardMerkleTree.verify(p.root, p.leafEncoding, p.leaf, p.proof));
  const p4 = (await app.inject('/v1/records/s-4/proof')).json();
  t.match(p4, { seq: 1, txHash: null, state: 'pending' });
});

t.test('bad or unknown ids and seqs get 400/404 with a code', async (t) => {
  const { app } = await setup(t);
  for (const [url, status, code] of [
    ['/v1/records/s-99/proof', 404, 'WAYMARK_ERR_NOT_FOUND'],
    [`/v1/records/0x${'ab'.repeat(32)}/proof`, 404, 'WAYMARK_ERR_NOT_FOUND'],
    ['/v1/records/nonsense/proof', 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['/v1/batches/77', 404, 'WAYMARK_ERR_NOT_FOUND'],
    ['/v1/batches/-1', 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['/v1/batches/abc', 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['/v1/batches?state=lost', 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['/v1/batches?limit=0', 400, 'WAYMARK_ERR_BAD_REQUEST'],
  ] as const) {
    const res = await app.inject(url);
    t.equal(res.statusCode, status, url);
    t.equal(res.json().error.code, code, url);
  }
});

t.test('metrics show the outbox', async (t) => {
  const { app } = await setup(t);
  const body = (await app.inject('/metrics')).body;
  t.match(body, /^waymark_batches\{state="confirmed"\} 1$/m);
  t.match(body, /^waymark_batches\{state="pending"\} 1$/m);
  t.match(body, /^waymark_batch_commit_failures_total 3$/m);
  t.match(body, /^waymark_batch_reorgs_total 1$/m);
  t.match(body, /^waymark_batch_repriced_total 4$/m);
  t.match(body, /^waymark_batch_last_confirmed_seq 0$/m);
});
