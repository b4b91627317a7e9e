/**
 * A commit waiting behind a nonce gap on a real anvil: the transactions that held the nonces
 * below it are gone (a reorg deeper than the confirmations did not put them back, or the
 * node dropped one from its pool), so nothing of the kiosk's can be mined and a rebroadcast
 * only queues the commit. The gap is filled in seq order: confirmed batches the reorg took
 * are committed again first, at the missing nonces; a gap left by a transaction outside the
 * outbox (the beacon key's publication) gets the commit re-signed at the missing nonce, or, if
 * the commit is queued in the node's pool, a no-op transaction, so it is mined as stored.
 */
import t, { type Test } from 'tap';
import { Wallet } from 'ethers';
import { assertOnChainOnce, openOutbox, startTestChain, until, type Outbox } from './outbox-fixture.js';
import { registryClient, registryContract } from '../../contracts/client.js';
import { KioskBeacon, toHex } from '../../beacon/index.js';
import { publishBeaconKey } from '../../kiosk/beacon-service.js';

const chain = await startTestChain(t);

const minedRow = (outbox: Outbox, seq: number) => until(() => {
  const row = outbox.store.get(seq)!;
  return row.state === 'sent' && row.blockNumber !== null ? row : undefined;
}, `batch ${seq} mined`);

const confirmedRow = (outbox: Outbox, seq: number) => until(() => {
  const row = outbox.store.get(seq)!;
  return row.state === 'confirmed' ? row : undefined;
}, `batch ${seq} confirmed`);

/** Mines a block per poll until every batch is confirmed (confirmations > 1 need blocks after the last commit). */
const allConfirmed = (outbox: Outbox, n: number) => until(async () => {
  if (outbox.store.counts().confirmed === n) return true;
  await chain.mine();
  return false;
}, `${n} batches confirmed`);

const nonces = async (kiosk: string) => ({
  latest: await chain.provider.getTransactionCount(kiosk, 'latest'),
  pending: await chain.provider.getTransactionCount(kiosk, 'pending'),
});

const beaconOf = (seed: number) => new KioskBeacon({ secretKey: new Uint8Array(32).fill(seed), geohash: 'u4pruydqq', periodS: 60, txPower: -59 });

async function pauseMining(t: Test): Promise<void> {
  await chain.provider.send('evm_setAutomine', [false]);
  t.teardown(async () => { await chain.provider.send('evm_setAutomine', [true]); });
}

t.test('a reorg deeper than the confirmations takes a confirmed commit and the next one: both land again, in order', async (t) => {
  const key = await chain.authorizeKiosk(4);
  const kiosk = new Wallet(key).address;
  const outbox = openOutbox(t, t.testdir({}), chain, key, { confirmations: 2 });
  outbox.sender.start();
  const kept = outbox.addBatch(2);
  outbox.sender.wake();
  await minedRow(outbox, kept);
  await chain.mine(4); // deeper than the reorg
  await confirmedRow(outbox, kept);

  const lost = outbox.addBatch(1);
  outbox.sender.wake();
  await minedRow(outbox, lost);
  await chain.mine();
  const lostBefore = await confirmedRow(outbox, lost); // two blocks deep
  const later = outbox.addBatch(3);
  outbox.sender.wake();
  const laterBefore = await minedRow(outbox, later); // one block deep: sent, not confirmed
  t.equal(laterBefore.blockNumber, lostBefore.blockNumber! + 2);
  const [lostTx, laterTx] = [outbox.store.txs(lost)[0]!, outbox.store.txs(later)[0]!];
  t.same([lostTx.nonce, laterTx.nonce], [1, 2]);

  // three blocks replaced by empty ones; their transactions are not put back in the pool
  await chain.provider.send('anvil_reorg', [3, []]);
  t.same((await chain.commits(kiosk)).map((c) => c.seq), [kept], 'only the deeper commit is left on chain');
  t.same(await nonces(kiosk), { latest: 1, pending: 1 }, 'nonces 1 and 2 are neither mined nor in the pool');
  t.equal(outbox.store.get(lost)!.state, 'confirmed', 'the outbox still counts the lost batch confirmed');

  await allConfirmed(outbox, 3);
  await assertOnChainOnce(t, chain, outbox, kiosk);
  const txOf = (seq: number) => outbox.store.txs(seq).find((tx) => tx.txHash === outbox.store.get(seq)!.txHash)!;
  t.equal(txOf(lost).nonce, 1, 'the lost batch committed again at its old nonce');
  t.not(txOf(lost).txHash, lostTx.txHash, 'by a new transaction');
  t.equal(txOf(later).txHash, laterTx.txHash, 'the later batch by its stored transaction, at nonce 2');
  t.equal(await chain.provider.getTransactionCount(kiosk), 3, 'one transaction per batch');
  t.ok(outbox.sender.stats().nonceGaps >= 1, 'the gap was seen');
  t.equal(outbox.sender.stats().reorgs, 2, 'the lost batch and the later one');
});

t.test('the commit is queued in the pool behind the beacon key\'s publication, which the node dropped: a no-op fills nonce 0 and the commit is mined as stored', async (t) => {
  const key = await chain.authorizeKiosk(5);
  const wallet = new Wallet(key, chain.provider);
  await pauseMining(t);
  // the kiosk key's first transaction, sent at start next to the outbox
  const beacon = beaconOf(5);
  const publication = await registryContract(registryClient(wallet, chain.registry)).getFunction('setBeaconKey')!(`0x${toHex(beacon.publicKey)}`);
  t.equal(publication.nonce, 0);
  const outbox = openOutbox(t, t.testdir({}), chain, key);
  const seq = outbox.addBatch(2);
  outbox.sender.start();
  const commit = await until(() => outbox.store.txs(seq)[0], 'the first commit sent');
  t.equal(commit.nonce, 1, 'behind the publication');
  await until(() => outbox.chain.knows(commit.txHash), 'the commit in the pool');
  await outbox.sender.stop();

  // the node drops the publication (and the commit that depended on it); the commit comes
  // back (a peer still has it, or the outbox before this fix rebroadcast it): queued, never mined
  await chain.provider.send('anvil_dropTransaction', [publication.hash]);
  t.equal(await chain.provider.getTransaction(publication.hash), null, 'the publication is gone');
  await chain.provider.send('eth_sendRawTransaction', [commit.raw]);
  t.ok(await outbox.chain.knows(commit.txHash), 'the commit is in the pool again');
  t.same(await nonces(wallet.address), { latest: 0, pending: 0 }, 'queued behind the gap at nonce 0');

  outbox.sender.start();
  await until(async () => (await nonces(wallet.address)).pending === 2, 'nonce 0 filled, so the queued commit can be mined');
  await chain.provider.send('evm_setAutomine', [true]);
  await chain.mine();

  const row = await confirmedRow(outbox, seq);
  t.equal(row.txHash, commit.txHash, 'the queued commit was mined as stored');
  t.equal(outbox.store.txs(seq).length, 1, 'nothing re-signed');
  await assertOnChainOnce(t, chain, outbox, wallet.address);
  const head = await chain.provider.getBlockNumber();
  const recent = await Promise.all([0, 1, 2, 3].map((back) => chain.provider.getBlock(head - back, true)));
  const nonce0 = recent.flatMap((b) => b!.prefetchedTransactions).find((tx) => tx.from === wallet.address && tx.nonce === 0)!;
  t.match({ to: nonce0.to, value: nonce0.value, data: nonce0.data }, { to: wallet.address, value: 0n, data: '0x' }, 'nonce 0 is a no-op transfer to the kiosk itself');
  t.equal(await chain.provider.getTransactionCount(wallet.address), 2, 'the no-op and the commit');
  t.equal(outbox.sender.stats().nonceGaps, 1);
});

t.test('the node drops the beacon key\'s publication and the commit behind it: the commit is re-signed at nonce 0', async (t) => {
  const key = await chain.authorizeKiosk(8);
  const wallet = new Wallet(key, chain.provider);
  await pauseMining(t);
  const publication = await registryContract(registryClient(wallet, chain.registry)).getFunction('setBeaconKey')!(`0x${toHex(beaconOf(8).publicKey)}`);
  const outbox = openOutbox(t, t.testdir({}), chain, key);
  const seq = outbox.addBatch(1);
  outbox.sender.start();
  const commit = await until(() => outbox.store.txs(seq)[0], 'the first commit sent');
  t.equal(commit.nonce, 1);
  await until(() => outbox.chain.knows(commit.txHash), 'the commit in the pool');
  await chain.provider.send('anvil_dropTransaction', [publication.hash]);
  const again = await until(() => outbox.store.txs(seq)[1], 'the commit signed again');
  t.equal(again.nonce, 0, 'at the nonce the publication left');
  await chain.provider.send('evm_setAutomine', [true]);
  await chain.mine();
  const row = await confirmedRow(outbox, seq);
  t.equal(row.txHash, again.txHash);
  await assertOnChainOnce(t, chain, outbox, wallet.address);
  t.equal(await chain.provider.getTransactionCount(wallet.address), 1, 'one transaction: the commit');
});

t.test('a reorg takes the beacon key\'s publication and the first commit: the commit is re-signed at nonce 0', async (t) => {
  const key = await chain.authorizeKiosk(6);
  const kiosk = new Wallet(key).address;
  t.equal(await publishBeaconKey({ rpcUrl: chain.rpcUrl, registry: chain.registry, privateKey: key, beacon: beaconOf(6) }), 'published');
  const outbox = openOutbox(t, t.testdir({}), chain, key, { confirmations: 2 });
  const seq = outbox.addBatch(1);
  outbox.sender.start();
  const first = await minedRow(outbox, seq);
  t.equal(outbox.store.txs(seq)[0]!.nonce, 1);

  await chain.provider.send('anvil_reorg', [2, []]);
  t.same(await nonces(kiosk), { latest: 0, pending: 0 }, 'both transactions gone, neither in the pool');

  await allConfirmed(outbox, 1);
  const row = outbox.store.get(seq)!;
  t.not(row.txHash, first.txHash, 'committed by a new transaction');
  t.equal(outbox.store.txs(seq).find((tx) => tx.txHash === row.txHash)!.nonce, 0, 'at the nonce the publication left');
  await assertOnChainOnce(t, chain, outbox, kiosk);
  t.equal(await chain.provider.getTransactionCount(kiosk), 1, 'one transaction: the commit');
});

t.test('publishBeaconKey says published only once the publication is as deep as asked', async (t) => {
  const key = await chain.authorizeKiosk(7);
  const kiosk = new Wallet(key).address;
  let settled = false;
  const published = publishBeaconKey({ rpcUrl: chain.rpcUrl, registry: chain.registry, privateKey: key, beacon: beaconOf(7), confirmations: 2 })
    .finally(() => (settled = true));
  await until(async () => (await chain.provider.getTransactionCount(kiosk)) === 1, 'the publication mined');
  await new Promise((r) => setTimeout(r, 600));
  t.equal(settled, false, 'one block deep is not published yet');
  await chain.mine();
  t.equal(await published, 'published');
});
