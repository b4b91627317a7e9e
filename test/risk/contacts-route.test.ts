/**
 * POST /v1/contacts/match on a kiosk wired as the daemon wires it (kioskContactsRoutes) to a
 * real anvil with the registry: only an EIP-191 request signed by a region authority of the
 * venue's geohash (read on chain) is answered; stale, replayed, foreign-venue and forged
 * requests are refused with named codes.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePlainKey } from '../../provisioning/keys.js';
import { cli } from '../helpers/cli.js';
import type { FastifyInstance } from 'fastify';
import { Kiosk } from '../../kiosk/kiosk.js';
import { buildHttpApp } from '../../kiosk/http/server.js';
import { kioskContactsRoutes, contactsRoutes } from '../../kiosk/http/contacts-routes.js';
import { CONTACTS_REQUEST_TYPE, signContactsRequest, type ContactsRequestPayload } from '../../kiosk/contacts/signed-request.js';
import { listAuthorityCheck } from '../../kiosk/contacts/venue-authority.js';
import { parseConfig } from '../../core/config.js';
import { ManualClock } from '../../core/clock.js';
import { DEV_GEOHASH, deployDevRegistry, devWallet, setUpDevVenue, startDevNode } from '../../sim/dev-chain.js';
import { PushScanner } from '../helpers/push-scanner.js';

const T0 = Date.UTC(2026, 4, 1, 12);
const A = '4a:11:22:33:44:55'; // the diagnosed visitor's address
const B = '5b:11:22:33:44:66'; // another phone, overlapping 5 minutes
const C = 'c3:11:22:33:44:77'; // a static beacon: not a visitor kind

t.test('contact matching over HTTP, authorized on chain', async (t) => {
  const dev = await startDevNode();
  t.teardown(() => dev.stop());
  const registry = await deployDevRegistry(dev.provider);
  const venueId = Number(await setUpDevVenue(dev.provider, registry));

  const clock = new ManualClock(T0);
  const config = parseConfig({
    dataDir: t.testdir({}), venue: { geohash: DEV_GEOHASH }, store: { flushIntervalMs: 60_000 },
    chain: { rpcUrl: dev.rpcUrl, registry, venueId },
  });
  const kiosk = new Kiosk({ config, clock, scanner: new PushScanner() });
  await kiosk.start();
  for (let s = 0; s <= 600; s += 2) kiosk.pipeline.ingestRaw(A, 'resolvable', -62, T0 + s * 1000);
  for (let s = 300; s <= 900; s += 2) kiosk.pipeline.ingestRaw(B, 'resolvable', -75, T0 + s * 1000);
  for (let s = 0; s <= 900; s += 2) kiosk.pipeline.ingestRaw(C, 'static', -80, T0 + s * 1000);
  kiosk.pipeline.finish();
  kiosk.store.flush();
  clock.set(T0 + 1000_000);

  const plugin = kioskContactsRoutes(config, kiosk.database, clock, dev.provider);
  t.ok(plugin, 'the daemon registers the route when the chain is configured');
  t.equal(kioskContactsRoutes(parseConfig({}), kiosk.database, clock, undefined), undefined, 'and not without a chain');
  const app = await buildHttpApp(kiosk, { plugins: [plugin!] });
  t.teardown(async () => {
    await app.close();
    await kiosk.stop();
  });

  const nowS = Math.floor(clock.now() / 1000);
  const payload = (over: Partial<ContactsRequestPayload> = {}): ContactsRequestPayload => ({
    type: CONTACTS_REQUEST_TYPE, venue: { geohash: DEV_GEOHASH, venueId }, timestamp: nowS,
    addresses: [`${A.toUpperCase()},${T0 / 1000 - 60},${T0 / 1000 + 700}`], ...over,
  });
  const post = (app: FastifyInstance, body: unknown, remoteAddress = '10.0.0.5') =>
    app.inject({ method: 'POST', url: '/v1/contacts/match', payload: body as object, remoteAddress });
  const authority = devWallet('authority');

  const signed = await signContactsRequest(authority, payload());
  const ok = await post(app, signed);
  t.equal(ok.statusCode, 200, ok.body);
  const r = ok.json();
  t.match(r, { signer: authority.address, authority: { prefix: 'u4pr', checkedOn: 'chain' }, venue: { geohash: DEV_GEOHASH, venueId } });
  t.same(r.windows.map((w: any) => [w.address, w.from, w.to, w.rssiMean]), [[A, T0 / 1000, T0 / 1000 + 600, -62]]);
  t.match(r.windows[0].overlapping, { sessions: 1, overlapS: { total: 300, min: 300, median: 300, max: 300 }, rssiMean: { min: -75, max: -75 } });
  t.same(r.windows[0].overlapping.sessionsAtLeast, { '10min': 0, '15min': 0 });
  t.same(r.visits, [{ from: T0 / 1000, to: T0 / 1000 + 600, windows: 1, report: `waymark authority report --venue ${venueId} --from ${T0 / 1000} --to ${T0 / 1000 + 600}` }]);
  t.notMatch(ok.body, /[0-9a-f]{32}/, 'no hash in the answer');

  const refused = async (body: unknown, status: number, code: string, what: string) => {
    const res = await post(app, body);
    t.equal(res.statusCode, status, `${what}: ${res.body}`);
    t.equal(res.json().error.code, code, what);
  };
  await refused(signed, 401, 'WAYMARK_ERR_CONTACTS_SIGNATURE', 'the same signed request again (replay)');
  await refused(await signContactsRequest(devWallet(5), payload()), 403, 'WAYMARK_ERR_CONTACTS_NOT_AUTHORITY', 'a stranger');
  await refused(await signContactsRequest(devWallet('operator'), payload()), 403, 'WAYMARK_ERR_CONTACTS_NOT_AUTHORITY', 'the venue operator is no authority');
  await refused(await signContactsRequest(authority, payload({ timestamp: nowS - 301 })), 401, 'WAYMARK_ERR_CONTACTS_SIGNATURE', 'a request 301 s old');
  await refused(await signContactsRequest(authority, payload({ timestamp: nowS + 301 })), 401, 'WAYMARK_ERR_CONTACTS_SIGNATURE', 'a request from the future');
  await refused(await signContactsRequest(authority, payload({ venue: { geohash: 'u4pruydqr' } })), 401, 'WAYMARK_ERR_CONTACTS_SIGNATURE', 'another venue');
  await refused(await signContactsRequest(authority, payload({ venue: { geohash: DEV_GEOHASH, venueId: venueId + 1 } })), 401, 'WAYMARK_ERR_CONTACTS_SIGNATURE', 'another venue id');
  await refused({ request: signed.request, signature: '0x' + '00'.repeat(65) }, 401, 'WAYMARK_ERR_CONTACTS_SIGNATURE', 'a signature that recovers nothing');
  await refused({ request: 'not json', signature: signed.signature }, 401, 'WAYMARK_ERR_CONTACTS_SIGNATURE', 'a request that is not JSON');
  // altering the signed text changes the signer it recovers: someone without a role
  const fresh = await signContactsRequest(authority, payload({ timestamp: nowS - 2 }));
  const altered = { request: fresh.request.replace('"timestamp":', '"timestamp": '), signature: fresh.signature };
  await refused(altered, 403, 'WAYMARK_ERR_CONTACTS_NOT_AUTHORITY', 'an altered request');
  await refused({ request: signed.request }, 400, 'WAYMARK_ERR_BAD_REQUEST', 'no signature');
  await refused(await signContactsRequest(authority, payload({ addresses: ['AA:BB'] })), 400, 'WAYMARK_ERR_CONTACTS_ADDRESSES', 'a bad address line');

  // from loopback too, and without the operator token: the signature is what authorizes
  const local = await post(app, await signContactsRequest(authority, payload({ timestamp: nowS - 1 })), '127.0.0.1');
  t.equal(local.statusCode, 200);

  // `waymark contacts ask`: the authority's key file, the kiosk over HTTP, the kiosk's clock now
  clock.set(Date.now());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const kioskUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/`;
  const dir = t.testdir({ 'alice.txt': `# published by the diagnosed visitor\n${A},${T0 / 1000 - 60},${T0 / 1000 + 700}\n` });
  writePlainKey(join(dir, 'authority.hex'), authority);
  writePlainKey(join(dir, 'stranger.hex'), devWallet(5));
  const asked = await cli(['contacts', 'ask', '--kiosk', kioskUrl, '--addresses', 'alice.txt', '--key-file', 'authority.hex', '--venue', String(venueId), '--json'], { cwd: dir });
  t.equal(asked.code, 0, asked.stderr);
  t.match(JSON.parse(asked.stdout), { signer: authority.address, windows: [{ address: A, from: T0 / 1000, to: T0 / 1000 + 600 }] });
  const text = await cli(['contacts', 'ask', '--kiosk', kioskUrl, '--addresses', 'alice.txt', '--key-file', 'authority.hex'], { cwd: dir });
  t.match(text.stdout, `waymark authority report --venue ${venueId} --from ${T0 / 1000} --to ${T0 / 1000 + 600}`);
  const stranger = await cli(['contacts', 'ask', '--kiosk', kioskUrl, '--addresses', 'alice.txt', '--key-file', 'stranger.hex'], { cwd: dir });
  t.equal(stranger.code, 1);
  t.match(stranger.stderr, /the kiosk refused: WAYMARK_ERR_CONTACTS_NOT_AUTHORITY/);
  writeFileSync(join(dir, 'bad.txt'), 'AA:BB\n');
  const bad = await cli(['contacts', 'ask', '--kiosk', kioskUrl, '--addresses', 'bad.txt', '--key-file', 'authority.hex'], { cwd: dir });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /WAYMARK_ERR_CONTACTS_ADDRESSES/);
  const down = await cli(['contacts', 'ask', '--kiosk', 'http://127.0.0.1:9/', '--addresses', 'alice.txt', '--key-file', 'authority.hex'], { cwd: dir });
  t.match(down.stderr, /WAYMARK_ERR_KIOSK_UNREACHABLE/);
});

t.test('without a chain, a configured authority list can stand in (and says so)', async (t) => {
  const clock = new ManualClock(T0);
  const config = parseConfig({ dataDir: t.testdir({}), store: { flushIntervalMs: 60_000 } });
  const kiosk = new Kiosk({ config, clock, scanner: new PushScanner() });
  await kiosk.start();
  const authority = devWallet('authority');
  const app = await buildHttpApp(kiosk, {
    plugins: [contactsRoutes({ database: kiosk.database, clock, geohash: config.venue.geohash, kinds: config.sightings.visitorKinds, isAuthority: listAuthorityCheck([authority.address]) })],
  });
  t.teardown(async () => {
    await app.close();
    await kiosk.stop();
  });
  const body = await signContactsRequest(authority, { type: CONTACTS_REQUEST_TYPE, venue: { geohash: config.venue.geohash }, timestamp: T0 / 1000, addresses: [A] });
  const res = await app.inject({ method: 'POST', url: '/v1/contacts/match', payload: body });
  t.equal(res.statusCode, 200, res.body);
  t.match(res.json(), { authority: { prefix: null, checkedOn: 'list' }, windows: [], days: { searched: [] }, visits: [] });
});
