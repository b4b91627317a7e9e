/**
 * Anchoring end to end: the demo program anchors its batches on its embedded anvil and
 * keeps the chain across a restart in its data dir; `waymark chain deploy` deploys to any
 * node; bad chain input fails with named codes.
 */
import t from 'tap';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, cliProcess } from '../helpers/cli.js';
import { startAnvil } from '../../contracts/anvil.js';
import { connectProvider } from '../../contracts/client.js';

t.test('waymark demo --json: batches anchored and confirmed on the embedded anvil; a restart keeps the chain', async (t) => {
  const dataDir = join(t.testdir({}), 'data');
  const args = ['demo', '--duration', '6', '--speed', '30', '--json', '--port', '0', '--data-dir', dataDir];
  const first = await cliProcess(args);
  t.equal(first.code, 0, first.stderr);
  const s1 = JSON.parse(first.stdout.trim());
  t.ok(s1.batches >= 1, `batches: ${s1.batches}`);
  t.ok(s1.batchesConfirmed >= 1, `batches confirmed: ${s1.batchesConfirmed}`);
  t.match(s1.contracts, { registry: /^0x[0-9a-fA-F]{40}$/ });
  t.match(s1.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.ok(existsSync(join(dataDir, 'chain', 'anvil-state.json')), 'anvil state dumped in the data dir');
  const deployment = JSON.parse(readFileSync(join(dataDir, 'chain', 'deployment.json'), 'utf8'));
  t.equal(deployment.registry, s1.contracts.registry);

  const second = await cliProcess(['demo', '--duration', '4', '--speed', '30', '--json', '--port', '0', '--data-dir', dataDir]);
  t.equal(second.code, 0, second.stderr);
  const s2 = JSON.parse(second.stdout.trim());
  t.equal(s2.contracts.registry, s1.contracts.registry, 'the same registry after the restart');
  t.ok(s2.batches > s1.batches, `the outbox continued: ${s1.batches} -> ${s2.batches}`);
  t.ok(s2.batchesConfirmed > s1.batchesConfirmed, `and the chain took the new seqs: ${s1.batchesConfirmed} -> ${s2.batchesConfirmed}`);
});

t.test('waymark chain deploy --rpc URL --json deploys the registry to a node', async (t) => {
  const node = await startAnvil();
  t.teardown(() => node.stop());
  const res = await cli(['chain', 'deploy', '--rpc', node.rpcUrl, '--json']);
  t.equal(res.code, 0, res.stderr);
  const out = JSON.parse(res.stdout);
  t.match(out, { rpcUrl: node.rpcUrl, chainId: 31337, registry: /^0x[0-9a-fA-F]{40}$/, contracts: { registry: out.registry }, admin: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', txHash: /^0x[0-9a-f]{64}$/ });
  const provider = connectProvider(node.rpcUrl, { chainId: 31337 });
  t.teardown(() => provider.destroy());
  t.not(await provider.getCode(out.registry), '0x', 'contract code at the printed address');

  const keyFile = join(t.testdir({ 'admin.key': `${node.accounts[5]}\n` }), 'admin.key');
  chmodSync(keyFile, 0o600);
  const withKey = await cli(['chain', 'deploy', '--rpc', node.rpcUrl, '--key-file', keyFile, '--json', '--chain-id', '31337']);
  t.equal(withKey.code, 0, withKey.stderr);
  t.equal(JSON.parse(withKey.stdout).admin, '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc', 'the key file\'s account is the admin');

  const wrongChain = await cli(['chain', 'deploy', '--rpc', node.rpcUrl, '--chain-id', '1', '--json']);
  t.equal(wrongChain.code, 1);
  t.equal(JSON.parse(wrongChain.stdout).error.code, 'WAYMARK_ERR_CONFIG_INVALID');
});

t.test('bad chain input on the CLI: named codes and exit codes', async (t) => {
  const cases: [string[], number, string][] = [
    [['chain', 'deploy', '--json'], 2, 'WAYMARK_ERR_USAGE'],
    [['chain', 'deploy', '--rpc', 'not a url', '--json'], 2, 'WAYMARK_ERR_USAGE'],
    [['chain', 'deploy', '--rpc', 'http://127.0.0.1:1', '--json'], 1, 'WAYMARK_ERR_CHAIN_UNAVAILABLE'],
    // the one kiosk key loader (contracts/kiosk-key.ts): the code provisioning gives for a missing key file
    [['chain', 'deploy', '--rpc', 'http://127.0.0.1:1', '--key-file', '/nonexistent/key', '--json'], 2, 'WAYMARK_ERR_KEY_NOT_FOUND'],
    [['demo', '--rpc', 'ftp://x', '--duration', '1', '--json'], 2, 'WAYMARK_ERR_USAGE'],
  ];
  for (const [args, code, error] of cases) {
    const res = await cli(args);
    t.equal(res.code, code, args.join(' '));
    t.equal(JSON.parse(res.stdout).error.code, error, args.join(' '));
  }
});
