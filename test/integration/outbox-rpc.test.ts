/**
 * The outbox against a failing world on a real anvil: the RPC endpoint down and back up
 * (a proxy that refuses connections), a nonce taken by another transaction of the kiosk
 * key, a gas spike over the cap, commits the chain refuses (unknown venue, bad range), and
 * a registry address without code (wrong from the start, or gone since).
 */
import t from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Wallet } from 'ethers';
import { assertOnChainOnce, openOutbox, startTestChain, until } from './outbox-fixture.js';
import { GWEI } from '../../kiosk/batcher/fees.js';
import { createOutboxChain } from '../../kiosk/batcher/outbox-chain.js';
import { deployDevRegistry } from '../../sim/dev-chain.js';

const chain = await startTestChain(t);

/** An HTTP proxy to the node that can go down (refusing connections) and come back on the same port. */
async function rpcProxy(target: string): Promise<{ url: string; down(): Promise<void>; up(): Promise<void>; close(): Promise<void> }> {
  let server: Server | undefined;
  let port = 0;
  const listen = () => new Promise<void>((resolve) => {
    server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      try {
        const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) });
        res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
      } catch {
        res.destroy();
      }
    });
    server.listen(port, '127.0.0.1', () => {
      port = (server!.address() as AddressInfo).port;
      resolve();
    });
  });
  const down = () => new Promise<void>((resolve) => {
    if (!server) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
    server = undefined;
  });
  await listen();
  return { url: `http://127.0.0.1:${port}`, down, up: listen, close: down };
}

t.test('RPC down, then up: batches wait, failures back off, then all commit in seq order', async (t) => {
  const proxy = await rpcProxy(chain.rpcUrl);
  t.teardown(() => proxy.close());
  const key = await chain.authorizeKiosk(4);
  const kiosk = new Wallet(key).address;
  const outbox = openOutbox(t, t.testdir({}), chain, key, { rpcUrl: proxy.url });
  await proxy.down();
  outbox.sender.start();
  const seqs = [outbox.addBatch(2), outbox.addBatch(3), outbox.addBatch(1)];
  outbox.sender.wake();
  await until(() => outbox.sender.stats().commitFailures >= 3, 'failed rounds while the node is down');
  t.match(outbox.sender.stats().lastError, /^WAYMARK_ERR_CHAIN_UNAVAILABLE/);
  t.same(outbox.store.list().map((b) => b.state), ['pending', 'pending', 'pending'], 'nothing sent while down');

  await proxy.up();
  await until(() => outbox.store.counts().confirmed === 3, 'all three batches confirmed after the node came back');
  t.equal(outbox.sender.stats().failing, 0);
  const commits = await chain.commits(kiosk);
  t.same(commits.map((c) => c.seq), seqs, 'committed in seq order');
  t.same(commits.map((c) => c.root), seqs.map((s) => outbox.store.get(s)!.root));
  t.ok(commits.every((c, i) => i === 0 || c.blockNumber > commits[i - 1]!.blockNumber), 'one after the other');
  await assertOnChainOnce(t, chain, outbox, kiosk);
});

t.test('a nonce taken by another transaction of the kiosk key: re-signed, committed once', async (t) => {
  const key = await chain.authorizeKiosk(5);
  const wallet = new Wallet(key, chain.provider);
  let stolen = false;
  const outbox = openOutbox(t, t.testdir({}), chain, key, {
    async beforeBroadcast(tx) {
      if (stolen) return;
      stolen = true;
      // another user of the key spends the nonce first
      await (await wallet.sendTransaction({ to: wallet.address, value: 1n, nonce: tx.nonce })).wait();
    },
  });
  const seq = outbox.addBatch(2);
  outbox.sender.start();
  const row = await until(() => (outbox.store.get(seq)!.state === 'confirmed' ? outbox.store.get(seq) : undefined), 'the re-signed commit to confirm');
  const txs = outbox.store.txs(seq);
  t.equal(txs.length, 2, 'a second signed commit');
  t.equal(txs[1]!.nonce, txs[0]!.nonce + 1, 'with the next nonce');
  t.equal(row!.txHash, txs[1]!.txHash);
  t.same((await chain.commits(wallet.address)).map((c) => c.seq), [seq], 'exactly one commit');
});

t.test('a gas spike over the cap holds the batch; it goes when gas is cheap again', async (t) => {
  const key = await chain.authorizeKiosk(6);
  const outbox = openOutbox(t, t.testdir({}), chain, key, { maxFeeGwei: 5 });
  await chain.provider.send('anvil_setNextBlockBaseFeePerGas', [`0x${(50n * GWEI).toString(16)}`]);
  await chain.mine();
  const seq = outbox.addBatch(1);
  outbox.sender.start();
  await until(() => outbox.store.get(seq)!.lastError?.startsWith('WAYMARK_ERR_CHAIN_GAS_CAP'), 'the cap to hold the batch');
  t.equal(outbox.store.get(seq)!.state, 'pending');
  t.equal(outbox.store.txs(seq).length, 0, 'nothing signed over the cap');
  await chain.provider.send('anvil_setNextBlockBaseFeePerGas', [`0x${GWEI.toString(16)}`]);
  await chain.mine();
  const row = await until(() => (outbox.store.get(seq)!.state === 'confirmed' ? outbox.store.get(seq) : undefined), 'the commit after the spike');
  t.equal(row!.lastError, null);
  t.ok(outbox.store.txs(seq)[0]!.maxFeePerGas <= 5n * GWEI, 'max fee within the cap');
});

t.test('commits the chain refuses get clear errors and are never sent', async (t) => {
  const key = await chain.authorizeKiosk(7);
  const unknownVenue = openOutbox(t, t.testdir({}), chain, key, { venueId: 99 });
  const seq = unknownVenue.addBatch(1);
  unknownVenue.sender.start();
  await until(() => unknownVenue.store.get(seq)!.lastError, 'an error on the batch');
  t.match(unknownVenue.store.get(seq)!.lastError, /^WAYMARK_ERR_CHAIN_UNKNOWN_VENUE: .*UnknownVenue\(venueId=99\)/);
  t.equal(unknownVenue.store.txs(seq).length, 0);
  await unknownVenue.sender.stop();

  const badRange = openOutbox(t, t.testdir({}), chain, key);
  const seq2 = badRange.addBatch(1);
  badRange.db.prepare('UPDATE batches SET from_time = to_time + 10 WHERE seq = ?').run(seq2);
  badRange.sender.start();
  await until(() => badRange.store.get(seq2)!.lastError, 'an error on the batch');
  t.match(badRange.store.get(seq2)!.lastError, /^WAYMARK_ERR_CHAIN_BAD_BATCH: .*fromTime \d+ is after toTime \d+/);
  t.equal(badRange.store.get(seq2)!.state, 'pending');
  t.same(await chain.commits(new Wallet(key).address), []);
});

t.test('a registry address without code is WAYMARK_ERR_CHAIN_NO_CONTRACT, naming the address and the chain', async (t) => {
  const key = await chain.authorizeKiosk(8);
  const nowhere = '0x000000000000000000000000000000000000dEaD';
  const message = (registry: string) => new RegExp(`^No contract at the registry address: ${registry} on chain ${chain.chainId}; check chain\\.registry$`, 'i');

  const outbox = openOutbox(t, t.testdir({}), { ...chain, registry: nowhere }, key);
  const seq = outbox.addBatch(1);
  outbox.sender.start();
  await until(() => outbox.sender.stats().failing >= 2, 'failed rounds');
  t.match(outbox.sender.stats().lastError, /^WAYMARK_ERR_CHAIN_NO_CONTRACT: No contract at the registry address: 0x0+dEaD on chain \d+; check chain\.registry$/i);
  t.equal(outbox.store.get(seq)!.state, 'pending');
  t.equal(outbox.store.txs(seq).length, 0, 'nothing signed for an empty address');
  await t.rejects(outbox.chain.nextSeq(), { code: 'WAYMARK_ERR_CHAIN_NO_CONTRACT', message: message(nowhere) });
  await outbox.sender.stop();

  // the code goes away after the outbox connected (a dev chain reset under a running kiosk)
  const registry = await deployDevRegistry(chain.provider);
  const reader = createOutboxChain({ rpcUrl: chain.rpcUrl, registry, key, requestTimeoutMs: 5000 });
  t.teardown(() => reader.close());
  t.equal(await reader.nextSeq(), 0);
  await chain.provider.send('anvil_setCode', [registry, '0x']);
  await t.rejects(reader.nextSeq(), { code: 'WAYMARK_ERR_CHAIN_NO_CONTRACT', message: message(registry), details: { registry, chainId: String(chain.chainId), action: 'nextSeq' } });
  await t.rejects(reader.batchRoot(0), { code: 'WAYMARK_ERR_CHAIN_NO_CONTRACT', message: message(registry) });
});

t.test('the dev chain set-up refuses an invalid geohash', async (t) => {
  const { startEmbeddedChain } = await import('../../sim/dev-chain.js');
  await t.rejects(startEmbeddedChain({ rpcUrl: chain.rpcUrl, geohash: 'u4pr-aio!' }), { code: 'WAYMARK_ERR_GEOHASH_INVALID' });
});
