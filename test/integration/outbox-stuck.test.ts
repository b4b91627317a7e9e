/**
 * Stuck commits on a real anvil: with mining paused the commit sits in the pool and is
 * re-priced (same nonce, same call and gas limit, fees up by at least 10 %) until one of its
 * versions is mined; whichever version is mined counts, and a commit a base-fee spike
 * evicted is re-priced over the new base fee. The sender's wall clock is the test's, so
 * "not mined for resendAfterMs" is a step the test takes, not a wait.
 */
import t, { type Test } from 'tap';
import { Transaction, Wallet } from 'ethers';
import { assertOnChainOnce, openOutbox, startTestChain, until, type Outbox } from './outbox-fixture.js';
import { GWEI } from '../../kiosk/batcher/fees.js';
import type { WaymarkError } from '../../core/errors.js';

const chain = await startTestChain(t);
const RESEND_MS = 60_000;

/** A sender whose wall clock moves only when the test says so. */
function stuckOutbox(t: Test, key: string) {
  let wall = Date.UTC(2026, 4, 1, 12);
  const failures: WaymarkError[] = [];
  const outbox = openOutbox(t, t.testdir({}), chain, key, { wallNow: () => wall, resendAfterMs: RESEND_MS });
  outbox.sender.on('failed', (e) => failures.push(e));
  return {
    outbox,
    failures,
    /** Lets resendAfterMs pass on the sender's clock and waits for the re-priced commit. */
    async stuckFor(seq: number) {
      const n = outbox.store.txs(seq).length;
      wall += RESEND_MS;
      outbox.sender.wake();
      await until(() => outbox.store.txs(seq).length === n + 1, `re-priced commit #${n + 1} of batch ${seq}`);
    },
  };
}

const confirmed = (outbox: Outbox, seq: number) => until(() => (outbox.store.get(seq)!.state === 'confirmed' ? outbox.store.get(seq)! : undefined), `batch ${seq} confirmed`);

async function pauseMining(t: Test): Promise<void> {
  await chain.provider.send('evm_setAutomine', [false]);
  t.teardown(async () => { await chain.provider.send('evm_setAutomine', [true]); });
}

t.test('mining paused: the stuck commit is re-priced with its nonce and gas until one version is mined', async (t) => {
  const key = await chain.authorizeKiosk(4);
  const kiosk = new Wallet(key).address;
  const { outbox, failures, stuckFor } = stuckOutbox(t, key);
  await pauseMining(t);
  const seq = outbox.addBatch(3);
  outbox.sender.start();
  await until(() => outbox.store.txs(seq).length === 1, 'the first commit sent');
  const queued = [outbox.addBatch(1), outbox.addBatch(2)];
  outbox.sender.wake();

  await stuckFor(seq);
  await stuckFor(seq);
  const txs = outbox.store.txs(seq);
  const signed = txs.map((tx) => Transaction.from(tx.raw));
  t.same(new Set(txs.map((tx) => tx.nonce)).size, 1, 'one nonce for all three');
  t.same(new Set(signed.map((s) => s.gasLimit)).size, 1, 'the stuck gas limit reused');
  t.same(new Set(signed.map((s) => s.data)).size, 1, 'the same call');
  for (let i = 1; i < txs.length; i++) {
    t.ok(txs[i]!.maxFeePerGas * 10n >= txs[i - 1]!.maxFeePerGas * 11n, `max fee of #${i + 1} at least 10 % over #${i}`);
    t.ok(txs[i]!.maxPriorityFeePerGas * 10n >= txs[i - 1]!.maxPriorityFeePerGas * 11n, `tip of #${i + 1} at least 10 % over #${i}`);
  }
  t.equal(await outbox.chain.knows(txs[2]!.txHash), true, 'the last version is in the pool');
  t.equal(await outbox.chain.knows(txs[0]!.txHash), false, 'it replaced the first');
  t.same(queued.map((s) => [outbox.store.get(s)!.state, outbox.store.txs(s).length]), [['pending', 0], ['pending', 0]], 'later batches wait behind it');
  t.equal(outbox.store.get(seq)!.lastError, null, 'no error on the stuck batch');
  t.same(failures.map((e) => e.code), [], 'no failed round (no WAYMARK_ERR_CHAIN_SEQ_REPLAY loop)');
  t.equal(outbox.sender.stats().repriced, 2);

  await chain.provider.send('evm_setAutomine', [true]);
  await chain.mine();
  const row = await confirmed(outbox, seq);
  t.equal(row.txHash, txs[2]!.txHash, 'the mined version counts');
  for (const s of queued) await confirmed(outbox, s);
  await assertOnChainOnce(t, chain, outbox, kiosk);
  t.equal(await chain.provider.getTransactionCount(kiosk), 3, 'three commits, three nonces: nothing wasted');
});

t.test('the original is mined after it was replaced: the original counts', async (t) => {
  const key = await chain.authorizeKiosk(5);
  const kiosk = new Wallet(key).address;
  const { outbox, failures, stuckFor } = stuckOutbox(t, key);
  await pauseMining(t);
  const seq = outbox.addBatch(2);
  outbox.sender.start();
  await until(() => outbox.store.txs(seq).length === 1, 'the first commit sent');
  await stuckFor(seq);
  const [original, replacement] = outbox.store.txs(seq);
  await outbox.sender.stop();
  // a node that never saw the replacement mines the original
  await chain.provider.send('anvil_dropTransaction', [replacement!.txHash]);
  await chain.provider.send('eth_sendRawTransaction', [original!.raw]);
  await chain.mine();
  t.ok(await chain.provider.getTransactionReceipt(original!.txHash), 'the original is mined');

  outbox.sender.start();
  const row = await confirmed(outbox, seq);
  t.equal(row.txHash, original!.txHash, 'the batch is confirmed by the original');
  t.equal(outbox.store.txs(seq).length, 2, 'nothing signed after it was mined');
  t.same(failures.map((e) => e.code), []);
  await assertOnChainOnce(t, chain, outbox, kiosk);
});

t.test('a base-fee spike evicts the commit: it is re-priced over the new base fee at once', async (t) => {
  const key = await chain.authorizeKiosk(6);
  const kiosk = new Wallet(key).address;
  const { outbox, failures } = stuckOutbox(t, key);
  await pauseMining(t);
  const seq = outbox.addBatch(1);
  outbox.sender.start();
  await until(() => outbox.store.txs(seq).length === 1, 'the first commit sent');
  await outbox.sender.stop();
  const [first] = outbox.store.txs(seq);
  const spike = 50n * GWEI;
  t.ok(first!.maxFeePerGas < spike, 'the first commit pays less than the coming base fee');
  await chain.provider.send('anvil_setNextBlockBaseFeePerGas', [`0x${spike.toString(16)}`]);
  await chain.mine();
  t.equal(await outbox.chain.knows(first!.txHash), false, 'the node evicted it');
  t.teardown(async () => {
    await chain.provider.send('anvil_setNextBlockBaseFeePerGas', [`0x${GWEI.toString(16)}`]);
    await chain.mine();
  });
  await chain.provider.send('evm_setAutomine', [true]);

  outbox.sender.start(); // the wall clock does not move: no resendAfterMs wait for a refused commit
  const row = await confirmed(outbox, seq);
  const txs = outbox.store.txs(seq);
  t.equal(txs.length, 2, 'one re-priced version');
  t.equal(txs[1]!.nonce, first!.nonce, 'with the same nonce');
  t.ok(txs[1]!.maxFeePerGas > spike, 'paying over the new base fee');
  t.ok(txs[1]!.maxFeePerGas <= 200n * GWEI, 'within the cap');
  t.equal(row.txHash, txs[1]!.txHash);
  t.same(failures.map((e) => e.code), []);
  await assertOnChainOnce(t, chain, outbox, kiosk);
});
