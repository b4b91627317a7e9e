/**
 * The exposure loop on a real anvil, through the CLI: a fresh deployment has no region, so
 * `provision venue register` is refused until `authority region register`; a kiosk's
 * anchored attestation, shared by the visitor, becomes an exposure report
 * (`authority report --shared`), the venue turns Infected (`venue status`) and back to Clean
 * when its operator marks it cleaned (`venue mark-cleaned`).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { getVenue } from '../../contracts/actions/get-venue.js';
import { cli } from '../helpers/cli.js';
import { cliJson } from '../provisioning/chain.js';
import { anchor, kioskSigner, shareOf, startAuthorityChain, visitorCommitment, writeJson, type AuthorityChain } from './fixture.js';

const HALL = { lat: '57.64911', lon: '10.40744', geohash: 'u4pruydqq' };
const DAYS14 = 14 * 24 * 3600;

let chain: AuthorityChain;
let dir: string;
t.before(async () => {
  dir = t.testdir({});
  chain = await startAuthorityChain(dir);
});
t.teardown(() => chain.stop());

t.test('deploy -> region -> venue -> kiosk -> shared check-in -> Infected -> cleaned -> Clean', async (t) => {
  const venueArgs = ['provision', 'venue', 'register', '--name', 'Hall', '--lat', HALL.lat, '--lon', HALL.lon, ...chain.chainFlags];
  const early = await cliJson([...venueArgs, '--operator-key', chain.keys.admin]);
  t.equal(early.code, 2, 'no region yet: even the admin cannot register a venue');
  t.equal(early.body.error.code, 'WAYMARK_ERR_CHAIN_UNAUTHORIZED');

  const region = await cliJson(['authority', 'region', 'register', '--prefix', 'u4pr', '--authority', chain.wallets.authority.address, '--key-file', chain.keys.admin, ...chain.chainFlags]);
  t.equal(region.code, 0, region.stderr);
  t.match(region.body, { prefix: 'u4pr', authority: chain.wallets.authority.address, previousAuthority: null, signer: chain.wallets.admin.address, signedAs: 'admin', txHash: /^0x[0-9a-f]{64}$/ });

  const venue = await cliJson([...venueArgs, '--operator-key', chain.keys.operator, '--authority-key', chain.keys.authority]);
  t.equal(venue.code, 0, venue.stderr);
  t.equal(venue.body.region, 'u4pr');
  const venueId = Number(venue.body.venueId);
  const auth = await cliJson(['provision', 'kiosk', 'authorize', '--venue', String(venueId), '--kiosk', chain.wallets.kiosk.address, '--operator-key', chain.keys.operator, ...chain.chainFlags]);
  t.equal(auth.code, 0, auth.stderr);

  const empty = await cliJson(['venue', 'status', '--venue', String(venueId), ...chain.chainFlags]);
  t.equal(empty.code, 0, empty.stderr);
  t.match(empty.body, { venueId, geohash: HALL.geohash, region: 'u4pr', state: 'Empty', exposure: null, infectedUntil: null, cleanedAt: null });

  // the kiosk signs the visitor's check-in and two others, and anchors the three in one batch
  const now = await chain.now();
  const kiosk = kioskSigner(chain, venueId, HALL.geohash);
  const mine = kiosk.attest({ visitor: visitorCommitment(), time: now - 7200, presence: 'ble-tap', seq: 0 });
  const others = [1, 2].map((seq) => kiosk.attest({ visitor: visitorCommitment(), time: now - 7000 + seq, presence: 'qr-token', seq }));
  const [proof] = await anchor(chain, venueId, [mine, ...others]);
  const shared = writeJson(dir, 'alice.json', shareOf([{ attestation: mine, proof: proof!, checkoutTime: now - 5400 }]));

  const report = await cliJson(['authority', 'report', '--shared', shared, '--key-file', chain.keys.authority, ...chain.chainFlags]);
  t.equal(report.code, 0, report.stderr);
  t.same(report.body.refused, []);
  t.match(report.body.reported, [{ venueId, from: now - 7200, to: now - 5400, txHash: /^0x[0-9a-f]{64}$/, expiresAt: now - 5400 + DAYS14, records: [0] }]);
  t.match(report.body.verified, [{ record: 0, id: mine.id, venueId, kiosk: chain.wallets.kiosk.address, batchSeq: 0, departureSource: 'checkout', signerCheck: 'authorized' }]);

  const infected = await cliJson(['venue', 'status', '--venue', String(venueId), ...chain.chainFlags]);
  t.match(infected.body, { state: 'Infected', exposure: { from: now - 7200, to: now - 5400 }, infectedUntil: now - 5400 + DAYS14, cleanedAt: null });
  const text = await cli(['venue', 'status', '--venue', String(venueId), ...chain.chainFlags]);
  t.match(text.stdout, new RegExp(`venue ${venueId} \\(u4pruydqq, region u4pr\\): Infected`));
  t.match(text.stdout, /infected until +\d{4}-\d\d-\d\dT/);

  const stranger = await cliJson(['venue', 'mark-cleaned', '--venue', String(venueId), '--operator-key', chain.keys.stranger, ...chain.chainFlags]);
  t.equal(stranger.code, 2, 'only the operator cleans');
  t.equal(stranger.body.error.code, 'WAYMARK_ERR_CHAIN_UNAUTHORIZED');

  const cleaned = await cliJson(['venue', 'mark-cleaned', '--venue', String(venueId), '--operator-key', chain.keys.operator, ...chain.chainFlags]);
  t.equal(cleaned.code, 0, cleaned.stderr);
  t.match(cleaned.body, { venueId, txHash: /^0x/, status: { state: 'Clean', cleanedAt: Number } });
  t.equal((await getVenue(chain.reader, { venueId })).status, 'Clean', 'the contract agrees');
  const clean = await cliJson(['venue', 'status', '--venue', String(venueId), ...chain.chainFlags]);
  t.match(clean.body, { state: 'Clean', exposure: { from: now - 7200, to: now - 5400 }, infectedUntil: null });
  t.ok(clean.body.cleanedAt >= now);

  const again = await cliJson(['venue', 'mark-cleaned', '--venue', String(venueId), '--operator-key', chain.keys.operator, ...chain.chainFlags]);
  t.equal(again.code, 2, 'a Clean venue cannot be cleaned again');
  t.equal(again.body.error.code, 'WAYMARK_ERR_CHAIN_CONFLICT');
  t.ok(readFileSync(shared, 'utf8').includes(mine.id));
});

t.test('venue capacity set / venue capacity: bad policies refused before sending, the operator sets and removes it', async (t) => {
  const venueId = 1;
  const set = (...args: string[]) => cliJson(['venue', 'capacity', 'set', '--venue', String(venueId), ...args, ...chain.chainFlags]);
  for (const bad of [['--capacity', '0', '--minutes', '5'], ['--capacity', '12.5', '--minutes', '5'], ['--capacity', '50', '--minutes', '1441'], ['--capacity', '2000000', '--minutes', '5'], ['--capacity', 'many', '--minutes', '5']]) {
    const r = await set(...bad, '--operator-key', chain.keys.operator);
    t.equal(r.code, 2, bad.join(' '));
    t.equal(r.body.error.code, 'WAYMARK_ERR_CAPACITY_POLICY_INVALID', bad.join(' '));
  }
  t.equal((await set('--capacity', '50', '--operator-key', chain.keys.operator)).body.error.code, 'WAYMARK_ERR_USAGE', '--minutes missing');
  t.equal((await set('--off', '--capacity', '5', '--operator-key', chain.keys.operator)).body.error.code, 'WAYMARK_ERR_USAGE');
  t.equal((await set('--capacity', '50', '--minutes', '10', '--operator-key', chain.keys.stranger)).body.error.code, 'WAYMARK_ERR_CHAIN_UNAUTHORIZED');

  const none = await cli(['venue', 'capacity', '--venue', String(venueId), ...chain.chainFlags]);
  t.match(none.stdout, /no capacity policy/);
  const ok = await set('--capacity', '50', '--minutes', '10', '--operator-key', chain.keys.operator);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.body, { venueId, capacity: 50, minMinutes: 10, txHash: /^0x/ });
  const shown = await cliJson(['venue', 'capacity', '--venue', String(venueId), ...chain.chainFlags]);
  t.same(shown.body, { venueId, capacity: 50, minMinutes: 10, overSince: 0, occupancy: 0 });
  const text = await cli(['venue', 'capacity', '--venue', String(venueId), ...chain.chainFlags]);
  t.match(text.stdout, /capacity 50 people; a kiosk reports it after 10 min above/);
  t.equal((await set('--off', '--operator-key', chain.keys.operator)).code, 0);
  t.match((await cliJson(['venue', 'capacity', '--venue', String(venueId), ...chain.chainFlags])).body, { capacity: 0, minMinutes: 0 });
});
