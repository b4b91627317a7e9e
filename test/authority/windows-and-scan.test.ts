/**
 * The pure parts of the authority tools: verified stays become one window per venue and
 * visit, and the event reader halves its chunk when a node refuses a block range (as public
 * RPC endpoints do) but gives up at once on a node that is down.
 */
import t from 'tap';
import type { Filter, Log } from 'ethers';
import { exposureWindows } from '../../authority/exposure-report.js';
import { scanRegistryLogs } from '../../authority/log-scan.js';
import { isWaymarkError } from '../../core/errors.js';

t.test('stays that overlap or touch merge; other visits and venues get their own window', async (t) => {
  const stay = (record: number, venueId: number, arrival: number, departure: number) => ({ record, venueId, arrival, departure });
  t.same(exposureWindows([
    stay(0, 2, 1000, 4600),
    stay(1, 1, 5000, 8600),
    stay(2, 1, 8600, 9000), // touches the stay before
    stay(3, 1, 1000, 2000), // hours earlier
    stay(4, 1, 6000, 7000), // inside record 1
  ]), [
    { venueId: 1, from: 1000, to: 2000, records: [3] },
    { venueId: 1, from: 5000, to: 9000, records: [1, 4, 2] },
    { venueId: 2, from: 1000, to: 4600, records: [0] },
  ]);
  t.same(exposureWindows([]), []);
});

/** A provider that answers eth_getLogs only for spans up to `limit` blocks. */
function limitedProvider(limit: number, head: number, opts: { down?: boolean } = {}) {
  const calls: [number, number][] = [];
  const provider = {
    calls,
    async getBlockNumber() {
      return head;
    },
    async getLogs(filter: Filter): Promise<Log[]> {
      const from = Number(filter.fromBlock);
      const to = Number(filter.toBlock);
      calls.push([from, to]);
      if (opts.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8545'), { code: 'ECONNREFUSED' });
      if (to - from + 1 > limit) throw Object.assign(new Error('query exceeds max block range'), { code: 'UNKNOWN_ERROR', error: { code: -32005, message: 'query exceeds max block range' } });
      const logs: Log[] = [];
      for (let b = from; b <= to; b++) if (b % 7 === 0) logs.push({ blockNumber: b } as Log);
      return logs;
    },
  };
  return provider;
}

t.test('a refused range is halved until the node takes it; every block is read once', async (t) => {
  const provider = limitedProvider(1000, 9999);
  const progress: number[] = [];
  const scan = await scanRegistryLogs({ runner: provider as never, registry: '0x' + '11'.repeat(20) }, [], { chunkBlocks: 10_000, onProgress: (p) => progress.push(p.done) });
  t.equal(scan.fromBlock, 0);
  t.equal(scan.toBlock, 9999);
  t.same(scan.logs.map((l) => l.blockNumber), Array.from({ length: 1429 }, (_, i) => i * 7).filter((b) => b <= 9999));
  const read = provider.calls.filter(([a, b]) => b - a + 1 <= 1000);
  t.equal(read.reduce((n, [a, b]) => n + b - a + 1, 0), 10_000, 'the accepted chunks cover the range exactly');
  t.equal(progress.at(-1), 1);
  t.ok(progress.every((p, i) => i === 0 || p > progress[i - 1]!), 'progress only grows');
});

t.test('a node that is down fails at once with WAYMARK_ERR_CHAIN_UNAVAILABLE', async (t) => {
  const provider = limitedProvider(1000, 50_000, { down: true });
  const err = await scanRegistryLogs({ runner: provider as never, registry: '0x' + '11'.repeat(20) }, []).catch((e) => e);
  t.ok(isWaymarkError(err, 'WAYMARK_ERR_CHAIN_UNAVAILABLE'), String(err));
  t.equal(provider.calls.length, 1);
});
