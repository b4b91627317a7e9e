/**
 * `waymark authority report --shared` refuses what it cannot verify, each record with its
 * own code (forged, altered, unanchored, a proof that does not match, another registry),
 * still reports the good ones (one window per venue and visit, several venues in one run),
 * opens a sealed share only with the authority's secret, and sends nothing in a dry run.
 */
import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import { registryClient } from '../../contracts/client.js';
import { registerRegion } from '../../contracts/actions/register-region.js';
import { registerVenue } from '../../contracts/actions/register-venue.js';
import { authorizeKiosk } from '../../contracts/actions/authorize-kiosk.js';
import { revokeKiosk } from '../../contracts/actions/revoke-kiosk.js';
import { sealShare } from '../../beacon/visitor/share.js';
import { AttestationSigner } from '../../kiosk/checkin/attestation-signer.js';
import { devWallet } from '../../sim/dev-chain.js';
import { cli } from '../helpers/cli.js';
import { cliJson } from '../provisioning/chain.js';
import { anchor, batchOf, kioskSigner, shareOf, startAuthorityChain, visitorCommitment, writeJson, type AuthorityChain } from './fixture.js';

const HOUR = 3600;
let chain: AuthorityChain;
let dir: string;
/** venue 1 (u4pr, kiosk = dev 3), venue 2 (u4pr, kiosk2 = dev 4), venue 3 (gcpv, another authority; kiosk3 = dev 6) */
const venues = { hall: 0, annex: 0, london: 0 };
const kiosk2 = devWallet(4);
const kiosk3 = devWallet(6);

t.before(async () => {
  dir = t.testdir({});
  chain = await startAuthorityChain(dir);
  const as = (w: Wallet) => registryClient(w.connect(chain.provider), chain.registry);
  await registerRegion(as(chain.wallets.admin), { prefix: 'u4pr', authority: chain.wallets.authority.address });
  await registerRegion(as(chain.wallets.admin), { prefix: 'gcpv', authority: chain.wallets.stranger.address });
  const operator = chain.wallets.operator.address;
  venues.hall = Number((await registerVenue(as(chain.wallets.authority), { geohash: 'u4pruydqq', operator })).venueId);
  venues.annex = Number((await registerVenue(as(chain.wallets.authority), { geohash: 'u4pruydqr', operator })).venueId);
  venues.london = Number((await registerVenue(as(chain.wallets.stranger), { geohash: 'gcpvj0duq', operator })).venueId);
  await authorizeKiosk(as(chain.wallets.operator), { venueId: venues.hall, kiosk: chain.wallets.kiosk.address });
  await authorizeKiosk(as(chain.wallets.operator), { venueId: venues.annex, kiosk: kiosk2.address });
  await authorizeKiosk(as(chain.wallets.operator), { venueId: venues.london, kiosk: kiosk3.address });
});
t.teardown(() => chain.stop());

const codes = (body: any) => Object.fromEntries(body.refused.map((r: any) => [r.record, r.code]));

t.test('each forged, altered, unanchored or mismatched record is refused by name; the genuine one is reported', async (t) => {
  const now = await chain.now();
  const kiosk = kioskSigner(chain, venues.hall, 'u4pruydqq');
  const at = (time: number) => kiosk.attest({ visitor: visitorCommitment(), time, presence: 'qr-token', seq: time });
  const [genuine, toAlter, toBreak, toReroot] = [at(now - 3 * HOUR), at(now - 3 * HOUR + 60), at(now - 3 * HOUR + 120), at(now - 3 * HOUR + 180)];
  const proofs = await anchor(chain, venues.hall, [genuine, toAlter, toBreak, toReroot]);

  // signed by a key that is no kiosk (naming itself as the kiosk), with a tree of its own
  const forger = new AttestationSigner({ key: chain.wallets.stranger, chainId: chain.chainId, verifyingContract: chain.registry, venueId: venues.hall, geohash: 'u4pruydqq' });
  const forged = forger.attest({ visitor: visitorCommitment(), time: now - 3 * HOUR, presence: 'ble-tap', seq: 0 });
  // a field changed after the kiosk signed it
  const altered = structuredClone(toAlter);
  altered.typedData.message.time += 600;
  // signed by the kiosk, but in a batch it never committed
  const unbatched = at(now - 2 * HOUR);
  const { proofs: [unanchoredProof] } = batchOf([unbatched, at(now - 2 * HOUR + 1)], 7);
  // a sibling hash changed: the proof no longer leads to its root
  const broken = structuredClone(proofs[2]!);
  broken.proof[0] = '0x' + 'ab'.repeat(32);
  // a tree of its own under a seq the kiosk did commit (another root)
  const { proofs: [rerooted] } = batchOf([toReroot, at(now - HOUR)], proofs[0]!.seq);
  // a real kiosk key, but for another registry
  const elsewhere = new AttestationSigner({ key: chain.wallets.kiosk, chainId: chain.chainId, verifyingContract: Wallet.createRandom().address, venueId: venues.hall, geohash: 'u4pruydqq' });
  const foreign = elsewhere.attest({ visitor: visitorCommitment(), time: now - 3 * HOUR, presence: 'nfc', seq: 0 });

  const share = shareOf([
    { attestation: genuine, proof: proofs[0]!, checkoutTime: now - 2 * HOUR },
    { attestation: forged, proof: batchOf([forged], 0).proofs[0]! },
    { attestation: altered, proof: proofs[1]! },
    { attestation: unbatched, proof: unanchoredProof! },
    { attestation: toBreak, proof: broken },
    { attestation: toReroot, proof: rerooted! },
    { attestation: foreign, proof: batchOf([foreign], 0).proofs[0]! },
  ]);
  const file = writeJson(dir, 'mixed.json', share);

  const dry = await cli(['authority', 'report', '--shared', file, '--dry-run', ...chain.chainFlags]);
  t.equal(dry.code, 1, 'refused records fail the run');
  t.match(dry.stdout, /record 1 0x[0-9a-f]{8}… venue \d+: REFUSED WAYMARK_ERR_ATTESTATION_UNAUTHORIZED: .*is not a kiosk of venue/);
  t.match(dry.stdout, /record 2 .*REFUSED WAYMARK_ERR_ATTESTATION_INVALID: .*signed by 0x[0-9a-fA-F]{40}, not by the kiosk/);
  t.match(dry.stdout, /record 3 .*REFUSED WAYMARK_ERR_SHARE_UNANCHORED: .*no batch 7/);
  t.match(dry.stdout, /record 4 .*REFUSED WAYMARK_ERR_PROOF_INVALID: .*does not lead to its root/);
  t.match(dry.stdout, /record 5 .*REFUSED WAYMARK_ERR_PROOF_INVALID: .*on-chain root of batch 0 differs/);
  t.match(dry.stdout, /record 6 .*REFUSED WAYMARK_ERR_ATTESTATION_INVALID: .*verifyingContract/);
  t.match(dry.stdout, /record 0 .*: verified/);
  t.match(dry.stdout, /would report .*dry run, nothing sent/);
  t.match(dry.stdout, /1 of 7 records verified, 6 refused/);

  const r = await cliJson(['authority', 'report', '--shared', file, '--key-file', chain.keys.authority, ...chain.chainFlags]);
  t.equal(r.code, 1, 'exit 1: some records were refused');
  t.same(codes(r.body), {
    1: 'WAYMARK_ERR_ATTESTATION_UNAUTHORIZED',
    2: 'WAYMARK_ERR_ATTESTATION_INVALID',
    3: 'WAYMARK_ERR_SHARE_UNANCHORED',
    4: 'WAYMARK_ERR_PROOF_INVALID',
    5: 'WAYMARK_ERR_PROOF_INVALID',
    6: 'WAYMARK_ERR_ATTESTATION_INVALID',
  });
  t.match(r.body.refused[0], { record: 1, id: forged.id, venueId: venues.hall, message: String });
  t.match(r.body.reported, [{ venueId: venues.hall, from: now - 3 * HOUR, to: now - 2 * HOUR, txHash: /^0x[0-9a-f]{64}$/, records: [0] }], 'the genuine record is still reported');
  t.equal(r.body.reported.length, 1);
});

t.test('many venues in one run: a window per venue and visit; revoked kiosks, other regions, expired windows', async (t) => {
  const now = await chain.now();
  const t0 = now - 6 * HOUR;
  const hall = kioskSigner(chain, venues.hall, 'u4pruydqq');
  const annex = kioskSigner(chain, venues.annex, 'u4pruydqr', kiosk2);
  const london = kioskSigner(chain, venues.london, 'gcpvj0duq', kiosk3);
  const att = (k: AttestationSigner, time: number) => k.attest({ visitor: visitorCommitment(), time, presence: 'ble-tap', seq: time });
  const dayBefore = att(hall, t0 - 24 * HOUR);
  const first = att(hall, t0);
  const overlapping = att(hall, t0 + HOUR / 2);
  const old = att(hall, now - 20 * 24 * HOUR);
  const hallProofs = await anchor(chain, venues.hall, [dayBefore, first, overlapping, old]);
  const atAnnex = att(annex, t0 + 3 * HOUR);
  const [annexProof] = await anchor(chain, venues.annex, [atAnnex], kiosk2);
  await revokeKiosk(registryClient(chain.wallets.operator.connect(chain.provider), chain.registry), { venueId: venues.annex, kiosk: kiosk2.address });
  const inLondon = att(london, t0 + 4 * HOUR);
  const [londonProof] = await anchor(chain, venues.london, [inLondon], kiosk3);

  const file = writeJson(dir, 'trip.json', shareOf([
    { attestation: first, proof: hallProofs[1]! }, // arrival + 1 h
    { attestation: overlapping, proof: hallProofs[2]!, checkoutTime: t0 + 2 * HOUR },
    { attestation: atAnnex, proof: annexProof!, checkoutTime: t0 + 3 * HOUR + 1200 },
    { attestation: dayBefore, proof: hallProofs[0]! },
    { attestation: inLondon, proof: londonProof! },
    { attestation: old, proof: hallProofs[3]! },
    { attestation: first, proof: hallProofs[1]! }, // shared twice
  ]));
  const r = await cliJson(['authority', 'report', '--shared', file, '--key-file', chain.keys.authority, ...chain.chainFlags]);
  t.equal(r.code, 1, r.stderr);
  t.same(r.body.reported.map((w: any) => [w.venueId, w.from, w.to, w.records]), [
    [venues.hall, t0 - 24 * HOUR, t0 - 23 * HOUR, [3]],
    [venues.hall, t0, t0 + 2 * HOUR, [0, 1]],
    [venues.annex, t0 + 3 * HOUR, t0 + 3 * HOUR + 1200, [2]],
  ], 'overlapping stays merge; a visit the day before is its own window; one report per venue and visit');
  t.same(codes(r.body), { 4: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED', 5: 'WAYMARK_ERR_EXPOSURE_WINDOW' });
  t.match(r.body.refused[0].message, /not a region authority above venue \d+ \(gcpvj0duq\)/);
  t.equal(r.body.duplicates, 1);
  t.match(r.body.verified.find((v: any) => v.record === 2), { signerCheck: 'committed', kiosk: kiosk2.address }, 'a kiosk revoked since still vouches for the batch it anchored');
  t.same(r.body.failed, []);
});

t.test('a dry run needs no key and sends nothing', async (t) => {
  const now = await chain.now();
  const hall = kioskSigner(chain, venues.hall, 'u4pruydqq');
  const a = hall.attest({ visitor: visitorCommitment(), time: now - HOUR, presence: 'qr-token', seq: 1 });
  const [proof] = await anchor(chain, venues.hall, [a]);
  const file = writeJson(dir, 'dry.json', shareOf([{ attestation: a, proof: proof! }]));
  const before = await chain.provider.getBlockNumber();
  const r = await cliJson(['authority', 'report', '--shared', file, '--dry-run', ...chain.chainFlags]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.body, { dryRun: true, reported: [], refused: [], planned: [{ venueId: venues.hall, from: now - HOUR, to: now, records: [0] }] });
  t.equal(await chain.provider.getBlockNumber(), before, 'no transaction');
});

t.test('a sealed share opens with the authority secret it was sealed to, and with no other', async (t) => {
  const now = await chain.now();
  const hall = kioskSigner(chain, venues.hall, 'u4pruydqq');
  const a = hall.attest({ visitor: visitorCommitment(), time: now - 2 * HOUR, presence: 'nfc', seq: 2 });
  const [proof] = await anchor(chain, venues.hall, [a]);
  const seal = Wallet.createRandom();
  const other = Wallet.createRandom();
  writeFileSync(join(dir, 'seal.hex'), seal.privateKey + '\n', { mode: 0o600 });
  writeFileSync(join(dir, 'other.hex'), other.privateKey + '\n', { mode: 0o600 });
  const sealed = await sealShare(shareOf([{ attestation: a, proof: proof! }]), seal.signingKey.compressedPublicKey);
  const file = writeJson(dir, 'sealed.json', sealed);
  t.notMatch(JSON.stringify(sealed), a.id.slice(2), 'nothing readable in the sealed file');

  const ok = await cliJson(['authority', 'report', '--shared', file, '--authority-secret-file', join(dir, 'seal.hex'), '--dry-run', ...chain.chainFlags]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.body, { sealed: true, records: 1, refused: [], planned: [{ venueId: venues.hall, from: now - 2 * HOUR }] });

  const wrong = await cliJson(['authority', 'report', '--shared', file, '--authority-secret-file', join(dir, 'other.hex'), '--dry-run', ...chain.chainFlags]);
  t.equal(wrong.code, 2);
  t.equal(wrong.body.error.code, 'WAYMARK_ERR_SHARE_INVALID');
  const none = await cliJson(['authority', 'report', '--shared', file, '--dry-run', ...chain.chainFlags]);
  t.equal(none.code, 2);
  t.match(none.body.error, { code: 'WAYMARK_ERR_USAGE', message: /sealed.*--authority-secret-file/ });
});
