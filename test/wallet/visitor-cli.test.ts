/**
 * `waymark visitor share` and `waymark visitor exposures` against a real anvil: a visitor
 * checks in at a kiosk (CLI), the kiosk anchors a batch, the share holds only proven
 * check-ins (sealed ones open with the authority key only), and after the region authority
 * reports an exposure covering the visit the visitor matches — a visitor who was elsewhere
 * does not, and one who checked out before a later window does not match that window.
 */
import t from 'tap';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { startChain, setUpVenue } from '../contracts/fixture.js';
import { setUpDevVenue } from '../../sim/dev-chain.js';
import { commitBatch } from '../../contracts/actions/commit-batch.js';
import { reportExposure } from '../../contracts/actions/report-exposure.js';
import { openDatabase } from '../../kiosk/store/database.js';
import { CheckinService } from '../../kiosk/checkin/service.js';
import { checkinRoutes } from '../../kiosk/http/checkin-routes.js';
import { errorHandler } from '../../kiosk/http/errors.js';
import type { Clock } from '../../core/clock.js';
import { parseConfig } from '../../core/config.js';
import { ATTESTATION_LEAF_ENCODING } from '../../beacon/visitor/proofs.js';
import { unsealShare, parseShareDocument, type SealedShare } from '../../beacon/visitor/share.js';
import { toHex } from '../../beacon/bytes.js';
import { cli } from '../helpers/cli.js';

/** Wall time, taken as synchronized (the kiosk daemon's clock guard is not under test here). */
const wallClock: Clock = { now: () => Date.now(), syncStatus: () => ({ synced: true, source: 'manual', detail: 'test' }) };

t.test('share and exposures on anvil', async (t) => {
  const chain = await startChain();
  t.teardown(() => chain.stop());
  const venueA = Number(await setUpVenue(chain)); // u4pruydqq, kiosk = dev account 3
  const venueB = Number(await setUpDevVenue(chain.provider, chain.registry, { geohash: 'u33dc0cpp', kiosk: chain.addresses.kiosk2 }));
  const dir = t.testdir({});

  async function kiosk(venueId: number, key: string, geohash: string) {
    const db = openDatabase(join(dir, `k${venueId}.db`));
    const settings = parseConfig({}).checkin;
    const service = new CheckinService({ db, clock: wallClock, key, chainId: 31337, registry: chain.registry, venueId, geohash, settings });
    const app = Fastify();
    app.setErrorHandler(errorHandler);
    let publicUrl: string | undefined;
    await app.register(checkinRoutes, { service, venueName: `Venue ${venueId}`, publicUrl: () => publicUrl, rateLimit: settings.rateLimit, dwellMedianS: () => 1800 });
    const proofs = new Map<string, unknown>();
    app.get<{ Params: { id: string } }>('/v1/records/:id/proof', async (req, reply) => proofs.get(req.params.id) ?? reply.status(404).send({ error: { code: 'WAYMARK_ERR_NOT_FOUND', message: 'not batched yet' } }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    publicUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    t.teardown(async () => {
      await app.close();
      db.close();
    });
    /** Stand-in for the batcher: every unbatched record in one batch, committed by the kiosk. */
    const anchor = async (seq: number, signer: typeof chain.roles.kiosk) => {
      const records = service.records.listUnbatchedAttestations(100);
      const tree = StandardMerkleTree.of(records.map((r) => r.leaf), [...ATTESTATION_LEAF_ENCODING]);
      const { txHash } = await commitBatch(signer, { venueId, seq, merkleRoot: tree.root, count: records.length, fromTime: records[0]!.time, toTime: records.at(-1)!.time });
      service.records.markBatched(records.map((r) => r.id), seq);
      records.forEach((r, i) => proofs.set(r.id, { leaf: r.leaf, leafEncoding: [...r.leafEncoding], proof: tree.getProof(i), root: tree.root, seq, txHash, state: 'confirmed' }));
    };
    return { url: publicUrl, anchor };
  }
  const kioskA = await kiosk(venueA, chain.node.accounts[3]!, 'u4pruydqq');
  const kioskB = await kiosk(venueB, chain.node.accounts[4]!, 'u33dc0cpp');

  const there = join(dir, 'there.json');
  const elsewhere = join(dir, 'elsewhere.json');
  const checkin = async (url: string, wallet: string) => {
    const res = await cli(['visitor', 'checkin', '--kiosk', url, '--rpc', chain.node.rpcUrl, '--wallet', wallet, '--json']);
    t.equal(res.code, 0, res.stderr || res.stdout);
    return JSON.parse(res.stdout);
  };
  const first = await checkin(kioskA.url, there);
  await checkin(kioskB.url, elsewhere);
  t.equal(JSON.parse(readFileSync(there, 'utf8')).entries[0].kioskDwellS, 1800, 'the kiosk\'s dwell figure is kept with the check-in');

  await kioskA.anchor(0, chain.roles.kiosk);
  await kioskB.anchor(0, chain.roles.kiosk2);
  for (const wallet of [there, elsewhere]) {
    const res = await cli(['visitor', 'proofs', '--rpc', chain.node.rpcUrl, '--wallet', wallet, '--json']);
    t.equal(res.code, 0, res.stdout);
  }
  await checkin(kioskA.url, there); // a second check-in, not batched yet: no proof

  t.test('visitor share: only check-ins with proofs, the rest counted; sealed to the authority', async (t) => {
    const out = join(dir, 'share.json');
    const res = await cli(['visitor', 'share', '--wallet', there, '--out', out, '--json']);
    t.equal(res.code, 0, res.stderr || res.stdout);
    t.match(JSON.parse(res.stdout), { ok: true, records: 1, leftOut: 1, sealed: false });
    t.equal(statSync(out).mode & 0o777, 0o600, 'written 0600');
    const doc = parseShareDocument(readFileSync(out, 'utf8'));
    t.match(doc, { format: 'waymark-shared-checkins-v1', records: [{ attestation: { id: first.id }, proof: { seq: 0 } }] });

    const human = await cli(['visitor', 'share', '--wallet', there, '--out', out]);
    t.match(human.stdout, /1 check-in\(s\) with proofs written.*\n1 left out: no proof yet/);

    const sk = secp256k1.utils.randomSecretKey();
    const sealedOut = join(dir, 'sealed.json');
    const sealed = await cli(['visitor', 'share', '--wallet', there, '--out', sealedOut, '--seal-to', toHex(secp256k1.getPublicKey(sk, true)), '--json']);
    t.equal(sealed.code, 0, sealed.stdout);
    const box = JSON.parse(readFileSync(sealedOut, 'utf8')) as SealedShare;
    t.equal(box.format, 'waymark-sealed-share-v1');
    t.notMatch(JSON.stringify(box), /u4pruydqq/, 'nothing readable in the sealed file');
    t.equal((await unsealShare(box, toHex(sk))).records[0]!.attestation.id, first.id, 'the authority opens it');

    const bad = await cli(['visitor', 'share', '--wallet', there, '--out', out, '--seal-to', 'abcd', '--json']);
    t.equal(bad.code, 2);
    t.equal(JSON.parse(bad.stdout).error.code, 'WAYMARK_ERR_USAGE');
    const missing = await cli(['visitor', 'share', '--wallet', there, '--json']);
    t.equal(missing.code, 2, '--out is required');
  });

  t.test('visitor exposures: a report covering the visit matches; the visitor elsewhere does not', async (t) => {
    const exposures = (wallet: string) => cli(['visitor', 'exposures', '--wallet', wallet, '--rpc', chain.node.rpcUrl, '--registry', chain.registry, '--json']);
    const before = await exposures(there);
    t.equal(before.code, 0, before.stderr || before.stdout);
    t.same(JSON.parse(before.stdout).matches, [], 'no report yet');

    const arrived = first.attestation.typedData.message.time as number;
    await reportExposure(chain.roles.authority, { venueId: venueA, fromTime: arrived - 600, toTime: arrived + 600 });

    const hit = JSON.parse((await exposures(there)).stdout);
    t.equal(hit.reports, 1);
    t.equal(hit.matches.length, 2, 'both check-ins at venue A overlap the window');
    t.same(Object.keys(hit.matches[0]).sort(), ['departure', 'from', 'geohash', 'overlapS', 'risk', 'to', 'venueId']);
    t.match(hit.matches[0].risk, { level: 'high', preset: 'cwa', reason: /normalized minutes/ }, 'the risk level and the reason (CWA preset)');
    t.match(hit.matches.find((m: any) => m.from === arrived), { venueId: venueA, geohash: 'u4pruydqq', from: arrived, to: arrived + 1800, overlapS: 600, departure: 'kiosk-dwell' });

    const miss = JSON.parse((await exposures(elsewhere)).stdout);
    t.equal(miss.reports, 1, 'the same download for everyone');
    t.same(miss.matches, [], 'the visitor at venue B is not matched');

    // a visitor who checked out before the window opened does not match either
    const w = JSON.parse(readFileSync(there, 'utf8'));
    const left = { ...w, entries: w.entries.map((e: any) => ({ ...e, checkoutTime: e.attestation.typedData.message.time + 1 })) };
    const leftEarly = join(dir, 'left-early.json');
    writeFileSync(leftEarly, JSON.stringify(left));
    await reportExposure(chain.roles.authority, { venueId: venueA, fromTime: arrived + 1200, toTime: arrived + 2400 });
    const stayed = JSON.parse((await exposures(there)).stdout);
    t.equal(stayed.matches.length, 4, 'staying the kiosk\'s median half hour, both check-ins overlap the later window too');
    const early = JSON.parse((await exposures(leftEarly)).stdout);
    t.equal(early.reports, 2);
    t.equal(early.matches.length, 2, 'checked out a second after arriving: only the window around the arrival matches');
    t.ok(early.matches.every((m: any) => m.departure === 'checkout' && m.overlapS === 1), 'for the one second of the stay, from the check-out');

    // checking out with the CLI: the kiosk's token, checked here; the departure comes from it
    const leaver = join(dir, 'leaver.json');
    await checkin(kioskA.url, leaver);
    const wrong = await cli(['visitor', 'checkout', '--kiosk', kioskB.url, '--wallet', leaver, '--json']);
    t.equal(wrong.code, 2, 'kiosk B cannot close a visit kiosk A signed');
    t.equal(JSON.parse(wrong.stdout).error.code, 'WAYMARK_ERR_NOT_FOUND');
    const out = await cli(['visitor', 'checkout', '--kiosk', kioskA.url, '--wallet', leaver, '--json']);
    t.equal(out.code, 0, out.stdout);
    const closed = JSON.parse(out.stdout);
    t.ok(closed.checkoutTime > closed.arrival && closed.checkoutTime <= Math.floor(Date.now() / 1000) + 60, 'the departure, after the arrival');
    t.equal(JSON.parse(readFileSync(leaver, 'utf8')).entries[0].checkoutTime, closed.checkoutTime, 'kept in the wallet file');
    const again = await cli(['visitor', 'checkout', '--kiosk', kioskA.url, '--wallet', leaver, '--json']);
    t.equal(again.code, 2, 'nothing left to check out');
    await reportExposure(chain.roles.authority, { venueId: venueA, fromTime: closed.arrival, toTime: closed.arrival + 3600 });
    const afterCheckout = JSON.parse((await exposures(leaver)).stdout);
    t.ok(afterCheckout.matches.length >= 1 && afterCheckout.matches.every((m: any) => m.departure === 'checkout' && m.to === closed.checkoutTime), 'its stay ends at the check-out');

    const human = await cli(['visitor', 'exposures', '--wallet', there, '--rpc', chain.node.rpcUrl, '--registry', chain.registry]);
    t.match(human.stdout, /3 exposure report\(s\).*\n! You were at venue \d+ \(u4pruydqq\) for about \d+ min/);
    const usage = await cli(['visitor', 'exposures', '--wallet', there, '--rpc', chain.node.rpcUrl, '--json']);
    t.equal(usage.code, 2, '--registry is required');
  });
});
