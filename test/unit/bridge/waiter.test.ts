import t from 'tap';
import { isWaymarkError } from '../../../core/errors.js';
import { ReplyWaiter } from '../../../firmware-bridge/protocol/waiter.js';

t.test('a reply settles the wait for its seq', async (t) => {
  const w = new ReplyWaiter<string>();
  const a = w.wait(1, 'PING', 1000);
  const b = w.wait(2, 'SCAN_START', 1000);
  t.equal(w.size, 2);
  t.ok(w.resolve(2, 'second'));
  t.ok(w.resolve(1, 'first'));
  t.equal(await a, 'first');
  t.equal(await b, 'second');
  t.notOk(w.resolve(1, 'late'), 'a late reply finds nobody waiting');
  t.equal(w.size, 0);
});

t.test('no reply: a readable WAYMARK_ERR_SERIAL_TIMEOUT', async (t) => {
  const w = new ReplyWaiter<string>();
  const started = Date.now();
  const err = await w.wait(7, 'SCAN_START', 30).catch((e: unknown) => e);
  t.ok(Date.now() - started >= 25, 'waited the timeout');
  t.ok(isWaymarkError(err, 'WAYMARK_ERR_SERIAL_TIMEOUT'));
  t.equal((err as Error).message, 'Co-processor did not answer: SCAN_START (seq 7) got no reply within 30 ms');
  t.same((err as { details: unknown }).details, { command: 'SCAN_START', seq: 7, timeoutMs: 30 });
  t.equal(w.timeouts, 1);
  t.notOk(w.resolve(7, 'too late'));
});

t.test('rejectAll fails every pending wait with the given error', async (t) => {
  const w = new ReplyWaiter<number>();
  const waits = [w.wait(1, 'A', 1000), w.wait(2, 'B', 1000)];
  const boom = new Error('port closed');
  w.rejectAll(boom);
  for (const p of waits) await t.rejects(p, boom);
  t.equal(w.size, 0);
});

t.test('a reused seq rejects the older wait', async (t) => {
  const w = new ReplyWaiter<number>();
  const old = w.wait(5, 'PING', 1000);
  const fresh = w.wait(5, 'PING', 1000);
  await t.rejects(old, { code: 'WAYMARK_ERR_INTERNAL' });
  w.resolve(5, 42);
  t.equal(await fresh, 42);
});
