/**
 * A long outage at demo speed: the node (a real anvil keeping its chain in a state file)
 * goes down with a commit in its pool and comes back hours later, on the same port, from
 * that state but with an empty pool. Meanwhile batches keep closing and the sender keeps
 * backing off; afterwards the lost commit is broadcast again and every batch lands once.
 * Simulated time is counted in the sender's own failed rounds (ten minutes each), so the
 * outage lasts hours whatever the machine's speed.
 */
import t from 'tap';
import { join } from 'node:path';
import { pino } from 'pino';
import { assertOnChainOnce, openOutbox, startTestChain, until } from './outbox-fixture.js';
import { backoffMs } from '../../kiosk/batcher/fees.js';
import type { WaymarkError } from '../../core/errors.js';

const MINUTE = 60_000;
const chain = await startTestChain(t, { stateFile: join(t.testdir({}), 'anvil-state.json') });

t.test('node down for hours with a commit in its pool: backoff, batches queue, then each lands once', async (t) => {
  let wall = Date.UTC(2026, 4, 1, 12);
  const failures: WaymarkError[] = [];
  const retries: number[] = [];
  const logger = pino({ level: 'warn' }, {
    write(line: string) {
      const entry = JSON.parse(line) as { msg?: string; retryInMs?: number };
      if (entry.msg === 'batch commit round failed') retries.push(entry.retryInMs!);
    },
  });
  const backoff = { backoffMinMs: 10, backoffMaxMs: 160 };
  const outbox = openOutbox(t, t.testdir({}), chain, chain.kioskKey, { wallNow: () => wall, now: () => wall, logger, ...backoff });
  // every failed round is ten minutes of the outage
  outbox.sender.on('failed', (e) => { failures.push(e); wall += 10 * MINUTE; });
  outbox.sender.start();
  const seqs = [outbox.addBatch(2)];
  outbox.sender.wake();
  await until(() => outbox.store.get(seqs[0]!)!.state === 'confirmed', 'the first batch confirmed before the outage');

  // a commit waiting in the pool when the node goes down
  await chain.provider.send('evm_setAutomine', [false]);
  seqs.push(outbox.addBatch(3));
  outbox.sender.wake();
  const inFlight = await until(() => outbox.store.txs(seqs[1]!)[0], 'the second commit sent');
  await until(() => outbox.chain.knows(inFlight.txHash), 'the commit in the node\'s pool');
  const headBefore = await chain.provider.getBlockNumber();
  await chain.down();
  const outageStart = wall;

  for (let hour = 1; hour <= 3; hour++) {
    await until(() => failures.length >= 6 * hour, `hour ${hour} of the outage`);
    seqs.push(outbox.addBatch(hour)); // the batcher keeps closing batches and waking the sender
    outbox.sender.wake();
  }
  await until(() => failures.length >= 6 * 3 + 6, 'another hour of retries');
  t.ok(wall - outageStart >= 3 * 60 * MINUTE, `${(wall - outageStart) / 60 / MINUTE} simulated hours down`);
  t.ok(failures.every((e) => e.code === 'WAYMARK_ERR_CHAIN_UNAVAILABLE'), 'every failure is the node being unavailable');
  t.match(outbox.sender.stats().lastError, /^WAYMARK_ERR_CHAIN_UNAVAILABLE/);
  const seen = retries.slice();
  t.same(seen, seen.map((_, i) => backoffMs(i + 1, backoff.backoffMinMs, backoff.backoffMaxMs)), 'retry delays double from the minimum...');
  t.ok(seen.slice(-5).every((d) => d === backoff.backoffMaxMs), '...and stay at the maximum');
  t.same(seqs.slice(2).map((s) => [outbox.store.get(s)!.state, outbox.store.txs(s).length]), [['pending', 0], ['pending', 0], ['pending', 0]], 'batches closed during the outage wait, unsigned');
  t.equal(outbox.store.get(seqs[1]!)!.state, 'sent');
  t.equal(outbox.store.txs(seqs[1]!).length, 1, 'no second commit signed while down');

  await chain.up();
  t.ok(await chain.provider.getBlockNumber() >= headBefore, 'the node came back with its chain');
  t.equal(await chain.provider.getTransaction(inFlight.txHash), null, 'but without its pool');
  await until(() => outbox.store.counts().confirmed === seqs.length, 'every batch confirmed after the outage', 30_000);
  t.equal(outbox.sender.stats().failing, 0);
  t.equal(outbox.store.get(seqs[1]!)!.txHash, inFlight.txHash, 'the commit lost with the pool was broadcast again, as stored');
  t.ok(outbox.sender.stats().rebroadcasts >= 1);
  t.ok(outbox.store.get(seqs.at(-1)!)!.confirmedAt! >= outageStart + 3 * 60 * MINUTE, 'confirmed hours later on the kiosk clock');
  await assertOnChainOnce(t, chain, outbox, chain.kiosk);
  t.equal(await chain.provider.getTransactionCount(chain.kiosk), seqs.length, 'one transaction per batch');
});
