/**
 * A long outage at demo speed: the node (a real anvil keeping its chain in a state file)
 * goes down with a commit in its pool and comes back hours later, on the same port, from
 * that state but with an empty pool. Meanwhile batches keep closing and the sender keeps
 * backing off; afterwards the lost commit is broadcast again and every batch lands once.
 * Simulated time is counted in the sender's own failed rounds (ten minutes each), so the
 * outage lasts hours whatever the machine's speed. And the backoff holds while batches keep
 * closing and waking the sender (its timer is the test's), yet a wake is immediate when healthy.
 */
import t from 'tap';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { assertOnChainOnce, openOutbox, startTestChain, until } from './outbox-fixture.js';
import { backoffMs } from '../../kiosk/batcher/fees.js';
import type { SenderTimer } from '../../kiosk/batcher/sender.js';
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

/** Timers that fire only when the test moves time on. */
class TestTimer implements SenderTimer {
  now = 0;
  readonly #due = new Map<number, { at: number; fn: () => void }>();
  #id = 0;

  setTimeout(fn: () => void, ms: number): number {
    this.#due.set(++this.#id, { at: this.now + ms, fn });
    return this.#id;
  }

  clearTimeout(id: unknown): void {
    this.#due.delete(id as number);
  }

  /** How many timers are set (the sender has one while it waits between rounds). */
  get pending(): number {
    return this.#due.size;
  }

  advance(ms: number): void {
    this.now += ms;
    for (const [id, timer] of [...this.#due]) {
      if (timer.at > this.now) continue;
      this.#due.delete(id);
      timer.fn();
    }
  }
}

/** A loopback port nothing listens on: connections are refused, as by a node that is down. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

t.test('batches closing every second during an outage wake the sender, but it retries on its backoff', async (t) => {
  const timer = new TestTimer();
  const backoff = { backoffMinMs: 500, backoffMaxMs: 32_000 };
  const outbox = openOutbox(t, t.testdir({}), chain, chain.kioskKey, { rpcUrl: `http://127.0.0.1:${await closedPort()}`, timer, wallNow: () => timer.now, ...backoff });
  const failedAt: number[] = [];
  const codes = new Set<string>();
  outbox.sender.on('failed', (e) => {
    codes.add(e.code);
    failedAt.push(timer.now);
  });
  outbox.addBatch(1);
  outbox.sender.start();
  const asleep = () => until(() => timer.pending === 1, 'the sender waiting');
  await asleep();
  // five minutes: each second the batcher closes a batch and wakes the sender (Anchoring.tick)
  for (let s = 1; s <= 300; s++) {
    timer.advance(1000);
    await asleep();
    outbox.addBatch(1);
    outbox.sender.wake();
    await asleep();
  }
  // a retry comes on the first second past each backoff: 0, 1, 2, 4, 8, 16, 32, 64, 96, ... s
  const expected = [0];
  for (let i = 1; expected.at(-1)! + 1000 * Math.ceil(backoffMs(i, backoff.backoffMinMs, backoff.backoffMaxMs) / 1000) <= 300_000; i++) {
    expected.push(expected.at(-1)! + 1000 * Math.ceil(backoffMs(i, backoff.backoffMinMs, backoff.backoffMaxMs) / 1000));
  }
  t.same(failedAt, expected, `${expected.length} retries in five minutes, not one per batch`);
  t.same([...codes], ['WAYMARK_ERR_CHAIN_UNAVAILABLE'], 'the node is down');
  t.same(outbox.store.counts().pending, 301, 'the batches wait');
});

t.test('healthy: a wake starts the next round at once, without waiting out the poll', async (t) => {
  const timer = new TestTimer();
  const outbox = openOutbox(t, t.testdir({}), chain, await chain.authorizeKiosk(4), { timer, pollMs: 60_000 });
  outbox.sender.start();
  await until(() => timer.pending === 1, 'the idle sender waiting');
  const seq = outbox.addBatch(1);
  outbox.sender.wake();
  await until(() => outbox.store.txs(seq).length === 1, 'the commit sent');
  t.equal(timer.now, 0, 'the test\'s clock never moved');
});
