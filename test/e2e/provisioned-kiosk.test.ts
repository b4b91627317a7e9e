/**
 * A kiosk provisioned with `waymark provision` and started with `waymark kiosk start`
 * commits batches the chain accepts and shows its device certificate; once decommissioned,
 * its key's commits are refused.
 */
import t from 'tap';
import { verifyTypedData } from 'ethers';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { checkInOverHttp } from '../../beacon/visitor/client.js';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import { REPO } from '../helpers/cli.js';
import { registryClient } from '../../contracts/client.js';
import { nextSeq } from '../../contracts/actions/next-seq.js';
import { batchRoot } from '../../contracts/actions/batch-root.js';
import { commitBatch } from '../../contracts/actions/commit-batch.js';
import { kioskFiles } from '../../core/data-dir.js';
import { verifyDeviceCertificate } from '../../contracts/device-certificate.js';
import { startProvisioningChain, cliJson, IN_REGION, type ProvisioningChain } from '../provisioning/chain.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let chain: ProvisioningChain;
t.before(async () => {
  chain = await startProvisioningChain(t.testdir({}));
});
t.teardown(() => chain.stop());

t.test('provisioned kiosk: its batches land on chain; after decommission its commits are refused', async (t) => {
  const dir = chain.dir;
  const dataDir = join(dir, 'kiosk');
  const venue = await cliJson(['provision', 'venue', 'register', '--name', 'Gate 3', '--lat', IN_REGION.lat, '--lon', IN_REGION.lon, '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  t.equal(venue.code, 0, venue.stderr);
  const venueId = venue.body.venueId as string;
  const init = await cliJson(['provision', 'init', '--data-dir', dataDir, '--plain-key']);
  const kiosk = init.body.address as string;
  t.equal((await cliJson(['provision', 'kiosk', 'authorize', '--venue', venueId, '--data-dir', dataDir, '--operator-key', chain.operatorKeyFile, '--fund', '1', ...chain.chainFlags])).code, 0);
  const port = await freePort();
  const config = join(dataDir, 'config.json');
  const w = await cliJson(['provision', 'config', 'write', '--config', config, '--data-dir', dataDir, '--rpc', chain.node.rpcUrl, '--chain-id', '31337', '--registry', chain.registry, '--radio', 'virtual', '--http-port', String(port), '--venue-name', 'Gate 3']);
  t.equal(w.code, 0, w.stderr);
  // quicker than production: short dwell sessions, small batches, no confirmations to wait for
  const cfg = JSON.parse(readFileSync(config, 'utf8'));
  Object.assign(cfg, { sightings: { sessionGapS: 1 }, batch: { maxAgeS: 1, maxRecords: 5 }, http: { host: '127.0.0.1', port } });
  cfg.chain.confirmations = 0;
  writeFileSync(config, JSON.stringify(cfg));
  const doctor = await cliJson(['provision', 'doctor', '--config', config, '--min-free-mb', '1']);
  t.equal(doctor.code, 0, JSON.stringify(doctor.body?.checks?.filter((c: { ok: boolean }) => !c.ok)));

  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/waymark.ts', 'kiosk', 'start', '--config', config], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  t.teardown(() => child.kill('SIGKILL'));

  const reader = chain.reader;
  let seq = 0n;
  for (let i = 0; i < 300 && seq === 0n && child.exitCode === null; i++) {
    await new Promise((r) => setTimeout(r, 200));
    seq = await nextSeq(reader, { kiosk });
  }
  if (seq === 0n) t.comment(`kiosk output:\n${stderr.slice(-1000)}\n${stdout.slice(-2000)}`);
  t.ok(seq >= 1n, 'the kiosk committed a batch the chain accepted');
  t.match(await batchRoot(reader, { kiosk, seq: 0n }), /^0x(?!0{64})[0-9a-f]{64}$/, 'its root is stored');

  const status = (await (await fetch(`http://127.0.0.1:${port}/v1/status`)).json()) as any;
  t.equal(status.deviceCertificate.certificate.kiosk, kiosk, '/v1/status shows the device certificate');
  t.same(verifyDeviceCertificate(status.deviceCertificate, { kiosk, venueId: BigInt(venueId), operator: chain.operator.address }).problems, []);

  // a visitor checks in over HTTP: the attestation is signed by this kiosk's key and,
  // once anchored, its Merkle proof checks against the root the chain holds
  t.equal(status.checkin.kiosk, kiosk, 'check-in is on, signing with the kiosk key');
  const visit = await checkInOverHttp(`http://127.0.0.1:${port}/`);
  const { domain, types, message } = visit.attestation.typedData;
  t.equal(verifyTypedData(domain, types as any, message, visit.attestation.signature), kiosk);
  t.equal(String(message.venueId), venueId);
  let proof: any;
  for (let i = 0; i < 300 && !proof?.txHash; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const res = await fetch(`http://127.0.0.1:${port}/v1/records/${visit.attestation.id}/proof`);
    if (res.ok) proof = await res.json();
  }
  t.ok(proof?.txHash, 'the attestation was anchored');
  t.ok(StandardMerkleTree.verify(proof.root, proof.leafEncoding, proof.leaf, proof.proof), 'its proof verifies with OZ StandardMerkleTree');
  t.equal(await batchRoot(reader, { kiosk, seq: BigInt(proof.seq) }), proof.root, 'against the root on chain');

  const key = readFileSync(kioskFiles(dataDir).plainKey, 'utf8').trim(); // a copy an attacker might have kept
  const retire = await cliJson(['provision', 'decommission', '--config', config, '--operator-key', chain.operatorKeyFile]);
  t.equal(retire.code, 0, retire.stderr);
  child.kill('SIGTERM');
  t.equal(await exited, 0, stderr);

  const stolen = registryClient(new Wallet(key, chain.provider), chain.registry);
  const next = await nextSeq(reader, { kiosk });
  await t.rejects(
    commitBatch(stolen, { venueId: BigInt(venueId), seq: next, merkleRoot: `0x${'ab'.repeat(32)}`, count: 1, fromTime: 1, toTime: 2 }),
    { code: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED', details: { revert: 'NotAuthorizedKiosk' } },
    'a decommissioned kiosk\'s commit is refused',
  );
});
