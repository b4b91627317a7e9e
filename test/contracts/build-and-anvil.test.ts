import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Wallet } from 'ethers';
import { ARTIFACTS_DIR, CONTRACT_NAMES, buildContracts, getArtifacts } from '../../contracts/build.js';
import { startAnvil, ANVIL_DEV_KEYS } from '../../contracts/anvil.js';
import { connectProvider, registryClient } from '../../contracts/client.js';
import { deploy } from '../../contracts/actions/deploy.js';
import { registerRegion } from '../../contracts/actions/register-region.js';
import { registerVenue } from '../../contracts/actions/register-venue.js';
import { getVenue } from '../../contracts/actions/get-venue.js';

t.test('artifacts are up to date, complete and deterministic', async (t) => {
  const first = buildContracts();
  t.equal(buildContracts().compiled, false, 'a second build with unchanged sources is skipped');
  t.same(first.manifest.contracts, CONTRACT_NAMES);
  t.equal(first.manifest.solcVersion, '0.8.28');
  for (const name of CONTRACT_NAMES) {
    const onDisk = JSON.parse(readFileSync(join(ARTIFACTS_DIR, `${name}.json`), 'utf8'));
    t.equal(onDisk.contractName, name);
    t.match(onDisk.bytecode, /^0x[0-9a-f]{100,}$/);
  }
  // recompile in a plain node (solc-js is slow under the test loaders) and compare bytes
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'contracts/build.ts', '--check'], { cwd: root });
  t.match(stdout, /artifacts match the sources/);
  const abi = getArtifacts().WaymarkRegistry.abi.map((f) => `${f.type}:${String(f.name)}`);
  for (const e of ['error:NotAuthorizedKiosk', 'error:InvalidGeohashCharacter', 'error:InvalidExposureWindow', 'error:BatchAlreadyCommitted', 'event:BatchCommitted', 'event:StatusChanged', 'function:commitBatch', 'function:statusOf']) {
    t.ok(abi.includes(e), e);
  }
});

t.test('anvil on a free loopback port, chain kept across restarts with a state file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-anvil-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const stateFile = join(dir, 'chain.json');

  const a = await startAnvil({ stateFile, chainId: 31338 });
  t.teardown(() => a.stop());
  t.match(a.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.not(a.port, 0);
  t.same(a.accounts, ANVIL_DEV_KEYS);
  const p1 = connectProvider(a.rpcUrl);
  t.equal((await p1.getNetwork()).chainId, 31338n);
  const admin = new Wallet(a.accounts[0], p1);
  const { registry } = await deploy(admin);
  await registerRegion(registryClient(admin, registry), { prefix: 'u4pr', authority: admin.address });
  const { venueId } = await registerVenue(registryClient(admin, registry), { geohash: 'u4pruydqq', operator: admin.address });
  const height = await p1.getBlockNumber();
  p1.destroy();
  await a.stop();
  await a.stop(); // idempotent
  t.ok(existsSync(stateFile), 'state dumped on stop');
  await t.rejects(fetch(a.rpcUrl, { method: 'POST' }), 'the old node is gone');

  const b = await startAnvil({ stateFile, chainId: 31338 });
  t.teardown(() => b.stop());
  const p2 = connectProvider(b.rpcUrl);
  t.teardown(() => p2.destroy());
  t.ok((await p2.getBlockNumber()) >= height, 'block height kept');
  const v = await getVenue(registryClient(p2, registry), { venueId });
  t.equal(v.geohash, 'u4pruydqq');
});

t.test('two nodes get two different ports', async (t) => {
  const [a, b] = await Promise.all([startAnvil(), startAnvil()]);
  t.teardown(async () => { await a.stop(); await b.stop(); });
  t.not(a.port, b.port);
});
