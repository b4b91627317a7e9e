import t from 'tap';
import { registryContract } from '../../contracts/client.js';
import { toChainError } from '../../contracts/chain-errors.js';
import { commitBatch } from '../../contracts/actions/commit-batch.js';
import { nextSeq } from '../../contracts/actions/next-seq.js';
import { batchRoot } from '../../contracts/actions/batch-root.js';
import { authorizeKiosk } from '../../contracts/actions/authorize-kiosk.js';
import { statusOf } from '../../contracts/actions/status-of.js';
import { root, setUpVenue, startChain, type ChainFixture, eventsOf } from './fixture.js';

let chain: ChainFixture;
let venueId: bigint;
t.before(async () => {
  chain = await startChain();
  venueId = await setUpVenue(chain);
});
t.teardown(async () => chain?.stop());

const batch = (seq: number, r = root(0xb000 + seq)) => ({ venueId, seq, merkleRoot: r, count: 1000, fromTime: 1_700_000_000 + seq * 60, toTime: 1_700_000_059 + seq * 60 });

const logsOf = (txHash: string) => eventsOf(chain, txHash);

t.test('the first batch turns the venue Clean and emits BatchCommitted + StatusChanged', async (t) => {
  t.equal(await statusOf(chain.reader, { venueId }), 'Empty');
  const r = await commitBatch(chain.roles.kiosk, batch(0));
  const logs = await logsOf(r.txHash);
  t.same(logs.map((l) => l.name), ['StatusChanged', 'BatchCommitted']);
  t.match(logs[0].args, { venueId, previous: 0n, current: 1n, reason: 0n });
  t.match(logs[1].args, {
    venueId, kiosk: chain.addresses.kiosk, seq: 0n, merkleRoot: root(0xb000), count: 1000n, fromTime: 1_700_000_000n, toTime: 1_700_000_059n,
  });
  t.equal(await statusOf(chain.reader, { venueId }), 'Clean');
  t.equal(await batchRoot(chain.reader, { kiosk: chain.addresses.kiosk, seq: 0 }), root(0xb000));
});

t.test('later batches emit exactly one event and stay within the gas target', async (t) => {
  const r = await commitBatch(chain.roles.kiosk, batch(1, `0x${'ab'.repeat(32)}`));
  const logs = await logsOf(r.txHash);
  t.same(logs.map((l) => l.name), ['BatchCommitted']);
  t.ok(r.gasUsed >= 40_000n && r.gasUsed <= 60_000n, `commitBatch gas ${r.gasUsed} within 40k..60k`);
  t.ok(Number(r.gasUsed) / 1000 <= 60, `${Number(r.gasUsed) / 1000} gas per check-in at 1,000 records`);
});

t.test('seq must be exactly the next one: replay and gaps are refused', async (t) => {
  t.equal(await nextSeq(chain.reader, { kiosk: chain.addresses.kiosk }), 2n);
  await t.rejects(commitBatch(chain.roles.kiosk, batch(1)), {
    code: 'WAYMARK_ERR_CHAIN_SEQ_REPLAY', details: { revert: 'BatchAlreadyCommitted', args: { seq: '1', nextSeq: '2' } },
  }, 'a retry of a landed batch');
  await t.rejects(commitBatch(chain.roles.kiosk, batch(0)), { code: 'WAYMARK_ERR_CHAIN_SEQ_REPLAY' }, 'a replay of an old batch');
  await t.rejects(commitBatch(chain.roles.kiosk, batch(5)), {
    code: 'WAYMARK_ERR_CHAIN_SEQ_GAP', details: { revert: 'SeqOutOfOrder', args: { seq: '5', nextSeq: '2' } },
  });
  t.equal(await batchRoot(chain.reader, { kiosk: chain.addresses.kiosk, seq: 1 }), `0x${'ab'.repeat(32)}`, 'the landed root is unchanged');
  await commitBatch(chain.roles.kiosk, batch(2));
  t.equal(await nextSeq(chain.reader, { kiosk: chain.addresses.kiosk }), 3n);
});

t.test('sequences are per kiosk', async (t) => {
  await authorizeKiosk(chain.roles.operator, { venueId, kiosk: chain.addresses.kiosk2 });
  t.equal(await nextSeq(chain.reader, { kiosk: chain.addresses.kiosk2 }), 0n);
  const r = await commitBatch(chain.roles.kiosk2, batch(0, root(0xc0ffee)));
  t.same((await logsOf(r.txHash)).map((l) => l.name), ['BatchCommitted'], 'no second StatusChanged for the venue');
  t.equal(await batchRoot(chain.reader, { kiosk: chain.addresses.kiosk2, seq: 0 }), root(0xc0ffee));
  t.equal(await batchRoot(chain.reader, { kiosk: chain.addresses.kiosk, seq: 0 }), root(0xb000));
});

t.test('bad batches are refused client-side and on chain', async (t) => {
  await t.rejects(commitBatch(chain.roles.kiosk, { ...batch(3), count: 0 }), { code: 'WAYMARK_ERR_CHAIN_BAD_BATCH' });
  await t.rejects(commitBatch(chain.roles.kiosk, { ...batch(3), fromTime: 10, toTime: 9 }), { code: 'WAYMARK_ERR_CHAIN_BAD_BATCH' });
  await t.rejects(commitBatch(chain.roles.kiosk, { ...batch(3), merkleRoot: '0x1234' }), { code: 'WAYMARK_ERR_BAD_REQUEST' });
  const raw = async (args: unknown[]) => {
    try {
      await registryContract(chain.roles.kiosk).getFunction('commitBatch').send(...args);
    } catch (err) {
      return toChainError(err, 'commitBatch');
    }
    throw new Error('no revert');
  };
  t.match(await raw([venueId, 3, root(1), 0, 1, 2]), { details: { revert: 'EmptyBatch' } });
  t.match(await raw([venueId, 3, root(1), 5, 10, 9]), { details: { revert: 'InvalidBatchTimeRange' } });
  t.equal(await nextSeq(chain.reader, { kiosk: chain.addresses.kiosk }), 3n);
});

t.test('the Chain port adapter commits as the kiosk', async (t) => {
  const { createRegistryChain } = await import('../../contracts/chain.js');
  const port = createRegistryChain({ rpcUrl: chain.node.rpcUrl, registry: chain.registry, privateKey: chain.node.accounts[3] });
  t.teardown(() => port.close());
  t.equal(port.kiosk, chain.addresses.kiosk);
  t.equal(await port.chainId(), 31337n);
  t.ok((await port.latestBlockTime()) > 1_600_000_000);
  const seq = Number(await nextSeq(chain.reader, { kiosk: port.kiosk }));
  const r = await port.commitBatch(batch(seq));
  t.ok(r.blockNumber > 0 && r.txHash.startsWith('0x'));
  await t.rejects(port.commitBatch(batch(seq)), { code: 'WAYMARK_ERR_CHAIN_SEQ_REPLAY' });
});
