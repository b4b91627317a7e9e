/**
 * The outbox survives its sender being killed (SIGKILL, a real second process) between
 * storing a commit and its confirmation: after a restart exactly one commit is on chain.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Wallet } from 'ethers';
import { openOutbox, startTestChain, until, type Outbox, type TestChain } from './outbox-fixture.js';
import { REPO } from '../helpers/cli.js';

const CHILD = fileURLToPath(new URL('./outbox-child.ts', import.meta.url));
const chain = await startTestChain(t);

function runChild(outbox: Outbox, chain: TestChain, key: string, mode: 'before-broadcast' | 'run', confirmations: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: REPO,
    env: { ...process.env, OUTBOX_CHILD: JSON.stringify({ db: outbox.path, rpcUrl: chain.rpcUrl, registry: chain.registry, venueId: chain.venueId, key, mode, confirmations }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  return { child, exited, stderr: () => stderr };
}

t.test('killed between "sent" and "confirmed": the restart confirms the same commit, once', async (t) => {
  const key = await chain.authorizeKiosk(4);
  const kiosk = new Wallet(key).address;
  const outbox = openOutbox(t, t.testdir({}), chain, key, { confirmations: 3 });
  const seq = outbox.addBatch(4);

  const proc = runChild(outbox, chain, key, 'run', 3);
  const mined = await until(() => {
    const row = outbox.store.get(seq)!;
    return row.state === 'sent' && row.blockNumber !== null ? row : undefined;
  }, 'the child to get the commit mined');
  proc.child.kill('SIGKILL');
  t.equal(await proc.exited, 'SIGKILL', proc.stderr());
  t.equal(outbox.store.get(seq)!.state, 'sent', 'not confirmed: the commit is one block deep of three');

  await chain.mine(2);
  outbox.sender.start();
  const row = await until(() => (outbox.store.get(seq)!.state === 'confirmed' ? outbox.store.get(seq) : undefined), 'confirmation after the restart');
  t.equal(row!.txHash, mined.txHash, 'the restart adopted the transaction the killed sender sent');
  t.equal(row!.blockNumber, mined.blockNumber);
  const commits = await chain.commits(kiosk);
  t.same(commits.map((c) => c.seq), [seq], 'exactly one commit on chain');
  t.equal(commits[0]!.root, row!.root);
  t.equal(await chain.provider.getTransactionCount(kiosk), 1, 'the kiosk sent one transaction in all');
  t.equal(outbox.store.txs(seq).length, 1);
});

t.test('killed after storing the signed commit, before broadcasting it: the restart broadcasts that one', async (t) => {
  const key = await chain.authorizeKiosk(5);
  const kiosk = new Wallet(key).address;
  const outbox = openOutbox(t, t.testdir({}), chain, key);
  const seq = outbox.addBatch(2);

  const proc = runChild(outbox, chain, key, 'before-broadcast', 1);
  t.equal(await proc.exited, 'SIGKILL', proc.stderr());
  const stored = outbox.store.txs(seq);
  t.equal(stored.length, 1, 'the signed commit was stored');
  t.equal(outbox.store.get(seq)!.state, 'sent');
  t.same(await chain.commits(kiosk), [], 'nothing reached the chain');

  outbox.sender.start();
  const row = await until(() => (outbox.store.get(seq)!.state === 'confirmed' ? outbox.store.get(seq) : undefined), 'confirmation after the restart');
  t.equal(row!.txHash, stored[0]!.txHash, 'the stored transaction itself was broadcast');
  t.equal(outbox.sender.stats().rebroadcasts, 1);
  t.same((await chain.commits(kiosk)).map((c) => c.seq), [seq], 'exactly one commit on chain');
});
