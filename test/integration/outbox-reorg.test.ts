/**
 * Reorgs on a real anvil: a commit's receipt disappears before it is deep enough
 * (`anvil_reorg`, `evm_revert`) and the outbox commits the batch again; a batch lost
 * deeper than the confirmation depth is re-committed when the next one finds the gap.
 */
import t from 'tap';
import { Wallet } from 'ethers';
import { openOutbox, startTestChain, until, type Outbox } from './outbox-fixture.js';

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
