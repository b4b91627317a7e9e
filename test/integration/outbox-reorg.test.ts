/**
 * Reorgs on a real anvil: a commit's receipt disappears before it is deep enough
 * (`anvil_reorg`, `evm_revert`) and the outbox commits the batch again; a batch lost
 * deeper than the confirmation depth is re-committed when the next one finds the gap, or,
 * with no next batch, when the idle sender re-reads the chain's nextSeq.
 */
import t from 'tap';
import { Wallet } from 'ethers';
import { assertOnChainOnce, openOutbox, startTestChain, until, type Outbox } from './outbox-fixture.js';

const chain = await startTestChain(t);

const confirmedRow = (outbox: Outbox, seq: number) => until(() => {
  const row = outbox.store.get(seq)!;
  return row.state === 'confirmed' ? row : undefined;
}, `batch ${seq} confirmed`);

const minedRow = (outbox: Outbox, seq: number) => until(() => {
  const row = outbox.store.get(seq)!;
  return row.state === 'sent' && row.blockNumber !== null ? row : undefined;
}, `batch ${seq} mined`);

t.test('anvil_reorg drops the commit\'s block: the batch is re-committed and confirmed', async (t) => {
  const key = await chain.authorizeKiosk(4);
  const kiosk = new Wallet(key).address;
  const outbox = openOutbox(t, t.testdir({}), chain, key, { confirmations: 3 });
  const seq = outbox.addBatch(3);
  outbox.sender.start();
  const first = await minedRow(outbox, seq);
  await chain.provider.send('anvil_reorg', [1, []]);
  t.equal(await chain.provider.getTransactionReceipt(first.txHash!), null, 'the receipt is gone');
  t.same(await chain.commits(kiosk), [], 'and so is the commit');

  const again = await until(async () => {
    const row = outbox.store.get(seq)!;
    return row.blockNumber !== null && row.blockNumber !== first.blockNumber ? row : undefined;
  }, 're-commit mined in a new block');
  t.equal(outbox.store.get(seq)!.state, 'sent', 'one block deep is not confirmed');
  await chain.mine(2);
  const row = await confirmedRow(outbox, seq);
  t.equal(row.blockNumber, again.blockNumber);
  t.equal(outbox.sender.stats().reorgs, 1);
  const commits = await chain.commits(kiosk);
  t.same(commits.map((c) => [c.seq, c.root, c.txHash]), [[seq, row.root, row.txHash]], 'exactly one commit on the canonical chain');
});

t.test('evm_revert to before the commit: re-committed', async (t) => {
  const key = await chain.authorizeKiosk(5);
  const kiosk = new Wallet(key).address;
  const outbox = openOutbox(t, t.testdir({}), chain, key, { confirmations: 2 });
  const snapshot = await chain.provider.send('evm_snapshot', []);
  const seq = outbox.addBatch(2);
  outbox.sender.start();
  const first = await minedRow(outbox, seq);
  await outbox.sender.stop();
  t.ok(await chain.provider.send('evm_revert', [snapshot]));
  t.same(await chain.commits(kiosk), []);
  outbox.sender.start();
  await until(() => outbox.sender.stats().reorgs === 1, 'the reorg to be noticed');
  await minedRow(outbox, seq);
  await chain.mine(1);
  const row = await confirmedRow(outbox, seq);
  t.equal(row.root, first.root);
  t.same((await chain.commits(kiosk)).map((c) => c.seq), [seq], 'exactly one commit');
});

t.test('a confirmed batch lost deeper than the confirmations is re-committed before the next one', async (t) => {
  const key = await chain.authorizeKiosk(6);
  const kiosk = new Wallet(key).address;
  const outbox = openOutbox(t, t.testdir({}), chain, key, { confirmations: 1 });
  const snapshot = await chain.provider.send('evm_snapshot', []);
  const seq0 = outbox.addBatch(1);
  outbox.sender.start();
  await confirmedRow(outbox, seq0);
  await outbox.sender.stop();
  t.ok(await chain.provider.send('evm_revert', [snapshot]));
  const seq1 = outbox.addBatch(2);
  outbox.sender.start();
  await confirmedRow(outbox, seq1);
  t.equal(outbox.store.get(seq0)!.state, 'confirmed');
  t.same((await chain.commits(kiosk)).map((c) => c.seq), [seq0, seq1], 'both on chain, in order');
});

t.test('anvil_reorg of the last 5 blocks takes confirmed commits away: the idle sender notices and re-commits them', async (t) => {
  const key = await chain.authorizeKiosk(7);
  const kiosk = new Wallet(key).address;
  const outbox = openOutbox(t, t.testdir({}), chain, key, { confirmations: 1 });
  outbox.sender.start();
  const kept = [outbox.addBatch(2), outbox.addBatch(1)];
  outbox.sender.wake();
  for (const seq of kept) await confirmedRow(outbox, seq);
  await chain.mine(5); // the kept commits sit deeper than the reorg
  const lost: number[] = [];
  for (let i = 0; i < 3; i++) {
    lost.push(outbox.addBatch(i + 1));
    outbox.sender.wake();
    await confirmedRow(outbox, lost.at(-1)!);
  }
  await chain.mine(2); // the last 5 blocks: three commits and two empty blocks
  const before = await chain.commits(kiosk);
  t.same(before.map((c) => c.seq), [...kept, ...lost]);
  const head = await chain.provider.getBlockNumber();
  t.ok(before.slice(2).every((c) => c.blockNumber > head - 5), 'the three last commits are in the last 5 blocks');
  const oldTx = lost.map((seq) => outbox.store.get(seq)!.txHash);

  await chain.provider.send('anvil_reorg', [5, []]);
  t.same((await chain.commits(kiosk)).map((c) => c.seq), kept, 'after the reorg only the deeper commits are on chain');
  t.equal(outbox.store.counts().confirmed, 5, 'the outbox still counts all five confirmed');

  await until(() => outbox.sender.stats().reorgs === lost.length, 'the lost commits to be noticed');
  await until(() => outbox.store.counts().confirmed === 5, 'the lost batches committed and confirmed again');
  await assertOnChainOnce(t, chain, outbox, kiosk);
  for (const [i, seq] of lost.entries()) t.not(outbox.store.get(seq)!.txHash, oldTx[i], `batch ${seq} confirmed by a new transaction`);
  t.equal(outbox.sender.stats().reorgs, lost.length, 'each lost batch counted once');
});
