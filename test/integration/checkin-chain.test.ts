/**
 * Attestations against a real anvil node: a contract recomputes the EIP-712 digest and
 * ecrecovers the kiosk; `waymark visitor checkin --rpc` accepts an authorized kiosk and
 * refuses a stranger's; `waymark visitor proofs --rpc` verifies a proof whose root the
 * kiosk committed on chain (proof route served by a stand-in for the batcher's).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { ContractFactory, Contract, Signature, Wallet } from 'ethers';
import Fastify from 'fastify';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { startChain, setUpVenue, type ChainFixture } from '../contracts/fixture.js';
import { commitBatch } from '../../contracts/actions/commit-batch.js';
import { openDatabase } from '../../kiosk/store/database.js';
import { CheckinService } from '../../kiosk/checkin/service.js';
import { checkinRoutes } from '../../kiosk/http/checkin-routes.js';
import { errorHandler } from '../../kiosk/http/errors.js';
import { ManualClock } from '../../core/clock.js';
import { parseConfig } from '../../core/config.js';
import { ATTESTATION_LEAF_ENCODING } from '../../beacon/visitor/proofs.js';
import { cli } from '../helpers/cli.js';

const require = createRequire(import.meta.url);

function compileVerifier(): { abi: any[]; bytecode: string } {
  const solc = require('solc');
  const source = readFileSync(new URL('../fixtures/CheckinAttestationVerifier.sol', import.meta.url), 'utf8');
  const out = JSON.parse(solc.compile(JSON.stringify({
    language: 'Solidity',
    sources: { 'CheckinAttestationVerifier.sol': { content: source } },
    settings: { evmVersion: 'cancun', outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  })));
  const errors = (out.errors ?? []).filter((e: any) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e: any) => e.formattedMessage).join('\n'));
  const c = out.contracts['CheckinAttestationVerifier.sol'].CheckinAttestationVerifier;
  return { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object };
}

async function kioskApp(t: any, chain: ChainFixture, venueId: number, keyIndex: number) {
  const dir = t.testdir({});
  const db = openDatabase(join(dir, 'waymark.db'));
  const clock = new ManualClock(Date.now());
  const settings = parseConfig({}).checkin;
  const service = new CheckinService({ db, clock, key: chain.node.accounts[keyIndex], chainId: 31337, registry: chain.registry, venueId, geohash: 'u4pruydqq', settings });
  const app = Fastify();
  app.setErrorHandler(errorHandler);
  let publicUrl: string | undefined;
  await app.register(checkinRoutes, { service, venueName: 'Chain Café', publicUrl: () => publicUrl, rateLimit: settings.rateLimit });
  const proofs = new Map<string, unknown>();
  app.get<{ Params: { id: string } }>('/v1/records/:id/proof', async (req, reply) => proofs.has(req.params.id) ? proofs.get(req.params.id) : reply.status(404).send({ error: { code: 'WAYMARK_ERR_NOT_FOUND', message: 'not batched yet' } }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  publicUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  t.teardown(async () => {
    await app.close();
    db.close();
  });
  return { service, url: `http://127.0.0.1:${(app.server.address() as any).port}`, proofs, dir };
}

t.test('attestations on chain', async (t) => {
  const chain = await startChain();
  t.teardown(() => chain.stop());
  const venueId = Number(await setUpVenue(chain)); // authorizes account #3 (roles.kiosk)

  t.test('a contract ecrecovers the kiosk from the typed data', async (t) => {
    const { abi, bytecode } = compileVerifier();
    const admin = new Wallet(chain.node.accounts[0], chain.provider);
    const verifier = (await (await new ContractFactory(abi, bytecode, admin).deploy()).waitForDeployment()) as Contract;
    const { service } = await kioskApp(t, chain, venueId, 3);
    const att = service.tapCheckin({ visitor: new Uint8Array(32).fill(0x5a), rssiDbm: -30, peer: 'p' });
    const m = att.typedData.message;
    const struct = [m.venueId, m.kiosk, m.geohash, m.visitor, m.time, m.presence, m.seq];
    t.equal(await verifier.digest(chain.registry, struct), att.id, 'on-chain digest = the attestation id');
    const sig = Signature.from(att.signature);
    t.equal(await verifier.signer(chain.registry, struct, sig.r, sig.s, sig.v), chain.addresses.kiosk, 'ecrecover gives the kiosk');
    const altered = [...struct];
    altered[4] = m.time + 1;
    t.not(await verifier.signer(chain.registry, altered, sig.r, sig.s, sig.v), chain.addresses.kiosk, 'a changed field recovers someone else');
  });

  t.test('visitor checkin checks isKiosk on chain; proofs verify against the committed root', async (t) => {
    const { url, proofs, dir, service } = await kioskApp(t, chain, venueId, 3);
    const wallet = join(dir, 'wallet.json');
    const ok = await cli(['visitor', 'checkin', '--kiosk', url, '--rpc', chain.node.rpcUrl, '--wallet', wallet, '--json']);
    t.equal(ok.code, 0, ok.stderr);
    const out = JSON.parse(ok.stdout);
    t.match(out, { ok: true, signer: chain.addresses.kiosk, signerCheck: 'authorized on chain' });
    const second = await cli(['visitor', 'checkin', '--kiosk', url, '--rpc', chain.node.rpcUrl, '--wallet', wallet, '--json']);
    t.equal(second.code, 0, second.stderr);
    t.equal(JSON.parse(readFileSync(wallet, 'utf8')).entries.length, 2);

    const pending = await cli(['visitor', 'proofs', '--rpc', chain.node.rpcUrl, '--wallet', wallet, '--json']);
    t.equal(pending.code, 0, pending.stderr);
    t.same(JSON.parse(pending.stdout).proofs.map((p: any) => p.status), ['pending', 'pending'], 'not batched yet');

    // stand-in for the batcher: one batch over the unbatched records, committed by the kiosk
    const records = service.records.listUnbatchedAttestations(100);
    const tree = StandardMerkleTree.of(records.map((r) => r.leaf), [...ATTESTATION_LEAF_ENCODING]);
    const { txHash } = await commitBatch(chain.roles.kiosk, { venueId, seq: 0, merkleRoot: tree.root, count: records.length, fromTime: records[0].time, toTime: records.at(-1)!.time });
    service.records.markBatched(records.map((r) => r.id), 0);
    records.forEach((r, i) => proofs.set(r.id, { leaf: r.leaf, leafEncoding: [...r.leafEncoding], proof: tree.getProof(i), root: tree.root, seq: 0, txHash }));
    const anchored = await cli(['visitor', 'proofs', '--rpc', chain.node.rpcUrl, '--wallet', wallet, '--json']);
    t.equal(anchored.code, 0, anchored.stderr);
    t.same(JSON.parse(anchored.stdout).proofs.map((p: any) => [p.status, p.txHash]), [['anchored', txHash], ['anchored', txHash]]);
    t.ok(JSON.parse(readFileSync(wallet, 'utf8')).entries[0].proof, 'proof kept in the wallet');

    const [id] = [...proofs.keys()];
    proofs.set(id, { ...(proofs.get(id) as object), root: '0x' + '77'.repeat(32) });
    const bad = await cli(['visitor', 'proofs', '--rpc', chain.node.rpcUrl, '--wallet', wallet, '--json']);
    t.equal(bad.code, 1, 'an invalid proof fails the command');
    t.ok(JSON.parse(bad.stdout).proofs.some((p: any) => p.status === 'invalid' && p.code === 'WAYMARK_ERR_PROOF_INVALID'));
  });

  t.test('a kiosk that is not authorized for the venue is refused', async (t) => {
    const { url, dir } = await kioskApp(t, chain, venueId, 5); // the stranger's key
    const res = await cli(['visitor', 'checkin', '--kiosk', url, '--rpc', chain.node.rpcUrl, '--wallet', join(dir, 'w.json'), '--json']);
    t.equal(res.code, 2);
    t.equal(JSON.parse(res.stdout).error.code, 'WAYMARK_ERR_ATTESTATION_UNAUTHORIZED');
  });
});
