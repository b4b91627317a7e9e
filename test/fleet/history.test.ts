import t from 'tap';
import { id } from 'ethers';
import { startDevNode, deployDevRegistry } from '../../sim/dev-chain.js';
import { generateFleetHistory, historyCell, HISTORY_REGION } from '../../sim/fleet-history.js';
import { registryClient } from '../../contracts/client.js';
import { nextSeq } from '../../contracts/actions/next-seq.js';

// The bulk history generator at a small scale: real BatchCommitted events of the real
// registry, one block per round, each kiosk's sequence numbers in order.

const KIOSKS = 50;
const ROUNDS = 3;
const BATCH = id('BatchCommitted(uint64,address,uint64,bytes32,uint32,uint64,uint64)');

const node = await startDevNode();
t.teardown(() => node.stop());
const registry = await deployDevRegistry(node.provider);
const history = await generateFleetHistory({ provider: node.provider, registry, kiosks: KIOSKS, rounds: ROUNDS, intervalS: 600 });
const logs = await node.provider.getLogs({ address: registry, fromBlock: 0, toBlock: 'latest', topics: [BATCH] });

t.test('every kiosk commits one batch per round, in sequence', async (t) => {
  t.equal(history.batches, KIOSKS * ROUNDS);
  t.equal(new Set(history.kiosks).size, KIOSKS, 'distinct kiosk contracts');
  t.equal(new Set(history.venues).size, KIOSKS, 'one venue each');
  t.equal(logs.length, KIOSKS * ROUNDS, 'the chain holds kiosks × rounds BatchCommitted logs');
  const reader = registryClient(node.provider, registry);
  const seqs = await Promise.all(history.kiosks.map((kiosk) => nextSeq(reader, { kiosk })));
  t.ok(seqs.every((s) => s === BigInt(ROUNDS)), `every kiosk's nextSeq is ${ROUNDS}`);
});

t.test('a round is one block, interval apart in block time', async (t) => {
  const blocks = [...new Set(logs.map((l) => l.blockNumber))];
  t.equal(blocks.length, ROUNDS);
  const times = await Promise.all(blocks.map(async (b) => (await node.provider.getBlock(b))!.timestamp));
  t.same(times.slice(1).map((x, i) => x - times[i]!), Array(ROUNDS - 1).fill(600));
});

t.test('venues are cells under the history region', async (t) => {
  t.equal(historyCell(0), `${HISTORY_REGION}0000`);
  t.equal(historyCell(33), `${HISTORY_REGION}0011`);
  t.equal(historyCell(0).length, 9);
});
