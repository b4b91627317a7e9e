/**
 * Regions registered by the admin and by enclosing authorities (and refused to anyone
 * else), exposures reported by hand and listed from the registry's events with each venue's
 * geohash (filtered by region prefix and time, read in chunks with progress on stderr), and
 * every bad flag or input of `waymark authority` / `waymark venue` refused with exit 2.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registryClient } from '../../contracts/client.js';
import { registerVenue } from '../../contracts/actions/register-venue.js';
import { cli } from '../helpers/cli.js';
import { cliJson } from '../provisioning/chain.js';
import { startAuthorityChain, type AuthorityChain } from './fixture.js';

const HOUR = 3600;
let chain: AuthorityChain;
let dir: string;
const venues = { hall: 0, yard: 0, london: 0 };

t.before(async () => {
  dir = t.testdir({ 'garbage.json': '{"format":"something else"}' });
  chain = await startAuthorityChain(dir);
});
t.teardown(() => chain.stop());

const region = (prefix: string, authority: string, keyFile: string) =>
  cliJson(['authority', 'region', 'register', '--prefix', prefix, '--authority', authority, '--key-file', keyFile, ...chain.chainFlags]);

t.test('regions: the admin, or the authority of an enclosing prefix; rotation; nothing sent twice', async (t) => {
  const { admin, authority, stranger } = chain.wallets;
  const u4 = await region('u4', authority.address, chain.keys.admin);
  t.equal(u4.code, 0, u4.stderr);
  t.match(u4.body, { prefix: 'u4', signedAs: 'admin', previousAuthority: null });

  const sub = await region('u4px', stranger.address, chain.keys.authority);
  t.equal(sub.code, 0, sub.stderr);
  t.match(sub.body, { prefix: 'u4px', authority: stranger.address, signer: authority.address, signedAs: 'u4' }, 'signed as the authority of u4');

  const up = await region('u4', stranger.address, chain.keys.stranger);
  t.equal(up.code, 2, 'a sub-region authority cannot take the region above it');
  t.match(up.body.error, { code: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED', message: new RegExp(`neither the registry admin \\(${admin.address}\\)`) });

  const same = await region('u4', authority.address, chain.keys.admin);
  t.equal(same.code, 0);
  t.match(same.body, { txHash: null, previousAuthority: authority.address });
  const text = await cli(['authority', 'region', 'register', '--prefix', 'u4', '--authority', authority.address, '--key-file', chain.keys.admin, ...chain.chainFlags]);
  t.match(text.stdout, /region u4 already has authority .*; nothing sent/);

  t.equal((await region('gcpv', stranger.address, chain.keys.admin)).code, 0);
  const rotated = await region('gcpv', authority.address, chain.keys.admin);
  t.match(rotated.body, { prefix: 'gcpv', authority: authority.address, previousAuthority: stranger.address, txHash: /^0x/ }, 'registering again rotates the authority');

  const as = (w: typeof admin) => registryClient(w.connect(chain.provider), chain.registry);
  const operator = chain.wallets.operator.address;
  venues.hall = Number((await registerVenue(as(authority), { geohash: 'u4pruydqq', operator })).venueId);
  venues.yard = Number((await registerVenue(as(stranger), { geohash: 'u4pxbcdef', operator })).venueId);
  venues.london = Number((await registerVenue(as(authority), { geohash: 'gcpvj0duq', operator })).venueId);
});

t.test('exposures reported by hand are listed with geohash, filtered by region and time', async (t) => {
  const now = await chain.now();
  const report = (venue: number, from: number, to: number, keyFile: string, extra: string[] = []) =>
    cliJson(['authority', 'report', '--venue', String(venue), '--from', String(from), '--to', String(to), '--key-file', keyFile, ...extra, ...chain.chainFlags]);

  const dry = await report(venues.hall, now - 5 * HOUR, now - 4 * HOUR, chain.keys.authority, ['--dry-run']);
  t.equal(dry.code, 0, dry.stderr);
  t.match(dry.body, { dryRun: true, reported: [], planned: [{ venueId: venues.hall, from: now - 5 * HOUR, to: now - 4 * HOUR }] });

  const hall = await report(venues.hall, now - 5 * HOUR, now - 4 * HOUR, chain.keys.authority);
  t.equal(hall.code, 0, hall.stderr);
  t.match(hall.body.reported, [{ venueId: venues.hall, from: now - 5 * HOUR, to: now - 4 * HOUR, txHash: /^0x/ }]);
  t.equal((await report(venues.yard, now - 3 * HOUR, now - 2 * HOUR, chain.keys.stranger)).code, 0, 'the authority of u4px reports its own venue');
  t.equal((await report(venues.london, now - 30 * HOUR, now - 29 * HOUR, chain.keys.authority)).code, 0);

  const outside = await report(venues.hall, now - HOUR, now, chain.keys.stranger);
  t.equal(outside.code, 2, 'u4px may not report a venue in u4pr');
  t.equal(outside.body.error.code, 'WAYMARK_ERR_CHAIN_UNAUTHORIZED');
  const expired = await report(venues.hall, now - 20 * 24 * HOUR, now - 19 * 24 * HOUR, chain.keys.authority);
  t.equal(expired.code, 2, 'a window past the expiry would change nothing');
  t.equal(expired.body.error.code, 'WAYMARK_ERR_EXPOSURE_WINDOW');

  const all = await cliJson(['authority', 'exposures', ...chain.chainFlags]);
  t.equal(all.code, 0, all.stderr);
  t.same(all.body.exposures.map((e: any) => [e.venueId, e.geohash, e.status]), [
    [venues.hall, 'u4pruydqq', 'Infected'], [venues.yard, 'u4pxbcdef', 'Infected'], [venues.london, 'gcpvj0duq', 'Infected'],
  ]);
  t.match(all.body.exposures[1], { from: now - 3 * HOUR, to: now - 2 * HOUR, expiresAt: now - 2 * HOUR + 14 * 24 * HOUR, authority: chain.wallets.stranger.address, txHash: /^0x/, blockNumber: Number, reportedAt: Number });

  const ids = async (args: string[]) => (await cliJson(['authority', 'exposures', ...args, ...chain.chainFlags])).body.exposures.map((e: any) => e.venueId);
  t.same(await ids(['--region', 'u4']), [venues.hall, venues.yard]);
  t.same(await ids(['--region', 'u4pr']), [venues.hall]);
  t.same(await ids(['--region', 'gcpv']), [venues.london]);
  t.same(await ids(['--region', 'u4pruydqq'.slice(0, 8)]), [venues.hall]);
  t.same(await ids(['--region', 'b']), []);
  t.same(await ids(['--since', String(now - 10 * HOUR)]), [venues.hall, venues.yard], 'windows ending before --since are left out');

  const text = await cli(['authority', 'exposures', '--region', 'u4pr', ...chain.chainFlags]);
  t.match(text.stdout, /1 exposure report\(s\) in u4pr/);
  t.match(text.stdout, new RegExp(`venue ${venues.hall}  u4pruydqq  \\S+ \\.\\. \\S+  reported \\S+ by 0x[0-9a-fA-F]{40}  expires \\S+  now Infected  tx 0x`));

  const chunked = await cliJson(['authority', 'exposures', '--chunk-blocks', '3', ...chain.chainFlags]);
  t.equal(chunked.code, 0, chunked.stderr);
  t.same(chunked.body.exposures, all.body.exposures, 'read in chunks: the same list');
  t.match(chunked.stderr, /exposures: read blocks 0\.\.\d+ of \d+ \(\d+ %\)/, 'progress on stderr');
  t.equal(all.stderr, '', 'no progress when one call reads it all');
});

t.test('bad flags and inputs exit 2 with a named code', async (t) => {
  const addr = chain.wallets.authority.address;
  writeFileSync(join(dir, 'x.json'), '{}');
  const cases: [string[], string][] = [
    [['authority', 'region', 'register', '--prefix', 'u4a', '--authority', addr, '--key-file', chain.keys.admin], 'WAYMARK_ERR_USAGE'],
    [['authority', 'region', 'register', '--prefix', 'u4pruydqq', '--authority', addr, '--key-file', chain.keys.admin], 'WAYMARK_ERR_USAGE'],
    [['authority', 'region', 'register', '--prefix', 'u4pr', '--authority', '0x12', '--key-file', chain.keys.admin], 'WAYMARK_ERR_USAGE'],
    [['authority', 'region', 'register', '--prefix', 'u4pr', '--authority', addr], 'WAYMARK_ERR_USAGE'],
    [['authority', 'region', 'register', '--prefix', 'u4pr', '--authority', addr, '--key-file', join(dir, 'none.hex')], 'WAYMARK_ERR_KEY_NOT_FOUND'],
    [['authority', 'report'], 'WAYMARK_ERR_USAGE'],
    [['authority', 'report', '--venue', '1', '--from', '10', '--to', '5', '--dry-run'], 'WAYMARK_ERR_USAGE'],
    [['authority', 'report', '--venue', '1', '--from', 'noon', '--to', '5', '--dry-run'], 'WAYMARK_ERR_USAGE'],
    [['authority', 'report', '--venue', '1', '--to', '5', '--dry-run'], 'WAYMARK_ERR_USAGE'],
    [['authority', 'report', '--venue', '1', '--shared', join(dir, 'x.json')], 'WAYMARK_ERR_USAGE'],
    [['authority', 'report', '--venue', '1', '--from', '1', '--to', '2'], 'WAYMARK_ERR_USAGE'],
    [['authority', 'report', '--shared', join(dir, 'missing.json'), '--dry-run'], 'WAYMARK_ERR_USAGE'],
    [['authority', 'report', '--shared', join(dir, 'garbage.json'), '--dry-run'], 'WAYMARK_ERR_SHARE_INVALID'],
    [['authority', 'report', '--venue', '999', '--from', '1', '--to', '2', '--dry-run'], 'WAYMARK_ERR_CHAIN_UNKNOWN_VENUE'],
    [['authority', 'exposures', '--since=-1'], 'WAYMARK_ERR_USAGE'],
    [['authority', 'exposures', '--region', 'u4pruydqqq'], 'WAYMARK_ERR_USAGE'],
    [['authority', 'exposures', '--chunk-blocks', '0'], 'WAYMARK_ERR_USAGE'],
    [['authority', 'exposures', '--from-block', '9', '--to-block', '3'], 'WAYMARK_ERR_USAGE'],
    [['authority', 'exposures', '--bogus'], 'WAYMARK_ERR_USAGE'],
    [['venue', 'status'], 'WAYMARK_ERR_USAGE'],
    [['venue', 'status', '--venue', '0'], 'WAYMARK_ERR_USAGE'],
    [['venue', 'status', '--venue', '999'], 'WAYMARK_ERR_CHAIN_UNKNOWN_VENUE'],
    [['venue', 'status', '--venue', '1', '--chain-id', '5'], 'WAYMARK_ERR_USAGE'],
    [['venue', 'mark-cleaned', '--venue', '1'], 'WAYMARK_ERR_USAGE'],
  ];
  for (const [args, code] of cases) {
    const r = await cli([...args, ...chain.chainFlags]);
    t.equal(r.code, 2, `${args.join(' ')} exits 2`);
    t.match(r.stderr, code, `${args.join(' ')}: ${code}`);
  }
  const badRpc = await cli(['venue', 'status', '--venue', '1', '--rpc', 'ftp://x', '--registry', chain.registry]);
  t.equal(badRpc.code, 2);
  t.match(badRpc.stderr, /--rpc must be an http\(s\) or ws\(s\) URL/);
  const noChain = await cli(['venue', 'status', '--venue', '1'], { env: {} });
  t.equal(noChain.code, 2);
  t.match(noChain.stderr, /no chain: pass --rpc URL/);
});
