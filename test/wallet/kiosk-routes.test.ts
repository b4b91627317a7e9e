/**
 * The kiosk's side of the wallet (fastify inject): the QR link opens the configured wallet
 * with the kiosk and token in the fragment, the token response carries the dwell figure,
 * the built bundle is served at /wallet/, and only the configured wallet origins get CORS
 * on the public check-in and proof routes (operator routes never).
 */
import t from 'tap';
import { join } from 'node:path';
import { Kiosk } from '../../kiosk/kiosk.js';
import { buildHttpApp } from '../../kiosk/http/server.js';
import { checkinRoutes } from '../../kiosk/http/checkin-routes.js';
import { walletOrigins } from '../../kiosk/http/wallet-routes.js';
import { CheckinService } from '../../kiosk/checkin/service.js';
import { openDatabase } from '../../kiosk/store/database.js';
import { parseConfig, type KioskConfigInput } from '../../core/config.js';
import { ManualClock } from '../../core/clock.js';
import { parseCheckinUrl } from '../../beacon/visitor/checkin-token.js';
import { PushScanner } from '../helpers/push-scanner.js';

const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const WALLET = 'https://wallet.region.example/app/';
const visitor = '0x' + '5a'.repeat(32);

async function setup(t: any, checkin: KioskConfigInput['checkin'], dwell?: number) {
  const dir = t.testdir({ bundle: { 'index.html': '<!doctype html><title>w</title>', 'app.js': 'console.log(1)', 'sw.js': '//sw', 'manifest.webmanifest': '{}', 'notes.md': 'not served' } });
  const config = parseConfig({ dataDir: dir, store: { flushIntervalMs: 60000 }, checkin });
  const clock = new ManualClock(Date.UTC(2026, 4, 1, 12));
  const kiosk = new Kiosk({ config, clock, scanner: new PushScanner() });
  await kiosk.start();
  const db = openDatabase(join(dir, 'waymark.db'));
  const service = new CheckinService({ db, clock, key: KEY, chainId: 31337, registry: '0x5FbDB2315678afecb367f032d93F642f64180aa3', venueId: 1, geohash: 'u4pruydqq', settings: config.checkin });
  const app = await buildHttpApp(kiosk, {
    wallet: { origins: walletOrigins(config.checkin), bundleDir: join(dir, 'bundle') },
    plugins: [
      async (app) => {
        await app.register(checkinRoutes, { service, venueName: 'Café', publicUrl: () => 'http://kiosk.test:8080', rateLimit: config.checkin.rateLimit, dwellMedianS: () => dwell });
      },
      async (app) => {
        app.get('/v1/records/:id/proof', async (_req, reply) => reply.status(404).send({ error: { code: 'WAYMARK_ERR_NOT_FOUND', message: 'not batched yet' } }));
      },
    ],
  });
  t.teardown(async () => {
    await app.close();
    db.close();
    await kiosk.stop();
  });
  return { app };
}

t.test('config: the wallet URL\'s origin and the extra origins are allowed; bad values are named', async (t) => {
  t.same(walletOrigins(parseConfig({ checkin: { walletUrl: WALLET, walletOrigins: ['http://127.0.0.1:9000'] } }).checkin).sort(), ['http://127.0.0.1:9000', 'https://wallet.region.example']);
  t.same(walletOrigins(parseConfig({}).checkin), []);
  t.throws(() => parseConfig({ checkin: { walletOrigins: ['https://x.example/path'] } }), { code: 'WAYMARK_ERR_CONFIG_INVALID', message: /checkin\.walletOrigins\.0/ });
  t.throws(() => parseConfig({ checkin: { walletUrl: 'ftp://x.example/' } }), { code: 'WAYMARK_ERR_CONFIG_INVALID', message: /checkin\.walletUrl/ });
});

t.test('with checkin.walletUrl the QR opens the wallet; the token carries the dwell figure', async (t) => {
  const { app } = await setup(t, { walletUrl: WALLET }, 1500);
  const res = await app.inject('/v1/checkin-token');
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.ok(body.url.startsWith(`${WALLET}#kiosk=`), body.url);
  t.same(parseCheckinUrl(body.url), { kioskUrl: 'http://kiosk.test:8080', token: body.token });
  t.equal(body.dwellMedianS, 1500);
  t.match(body.qrSvg, /^<svg/);

  const plain = await setup(t, {});
  const b2 = (await plain.app.inject('/v1/checkin-token')).json();
  t.equal(b2.url, `http://kiosk.test:8080/checkin?token=${b2.token}`, 'without a wallet: the kiosk page, as before');
  t.notOk('dwellMedianS' in b2, 'no figure: no field');
});

t.test('the bundle is served at /wallet/', async (t) => {
  const { app } = await setup(t, {});
  const redirect = await app.inject('/wallet');
  t.equal(redirect.statusCode, 301);
  t.equal(redirect.headers.location, '/wallet/');
  const page = await app.inject('/wallet/');
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.equal(page.headers['cache-control'], 'no-cache');
  t.match(page.headers['content-security-policy'], /script-src 'self'/);
  t.equal(page.body, '<!doctype html><title>w</title>');
  t.match((await app.inject('/wallet/app.js')).headers['content-type'], /^text\/javascript/);
  t.equal((await app.inject('/wallet/manifest.webmanifest')).headers['content-type'], 'application/manifest+json');
  for (const path of ['/wallet/notes.md', '/wallet/..%2Fwaymark.db', '/wallet/nothing.js']) {
    const res = await app.inject(path);
    t.equal(res.statusCode, 404, path);
    t.equal(res.json().error.code, 'WAYMARK_ERR_NOT_FOUND');
  }
});

t.test('CORS: the configured wallet origin may check in and read proofs; no other origin, no operator route', async (t) => {
  const { app } = await setup(t, { walletUrl: WALLET });
  const origin = 'https://wallet.region.example';
  const pre = await app.inject({ method: 'OPTIONS', url: '/v1/checkins', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type', 'access-control-request-private-network': 'true' } });
  t.equal(pre.statusCode, 204);
  t.equal(pre.headers['access-control-allow-origin'], origin);
  t.match(pre.headers['access-control-allow-methods'], /POST/);
  t.equal(pre.headers['access-control-allow-headers'], 'content-type');
  t.equal(pre.headers['access-control-allow-private-network'], 'true');

  const token = (await app.inject({ url: '/v1/checkin-token', headers: { origin } }));
  t.equal(token.headers['access-control-allow-origin'], origin);
  t.equal(token.headers.vary, 'Origin');
  const post = await app.inject({ method: 'POST', url: '/v1/checkins', headers: { origin }, payload: { visitor, token: token.json().token } });
  t.equal(post.statusCode, 201);
  t.equal(post.headers['access-control-allow-origin'], origin);
  const replay = await app.inject({ method: 'POST', url: '/v1/checkins', headers: { origin }, payload: { visitor, token: token.json().token } });
  t.equal(replay.statusCode, 409);
  t.equal(replay.headers['access-control-allow-origin'], origin, 'an error body is readable by the wallet too');
  const proof = await app.inject({ url: `/v1/records/${post.json().attestation.id}/proof`, headers: { origin } });
  t.equal(proof.statusCode, 404);
  t.equal(proof.headers['access-control-allow-origin'], origin);

  const evil = 'https://evil.example';
  const pre2 = await app.inject({ method: 'OPTIONS', url: '/v1/checkins', headers: { origin: evil, 'access-control-request-method': 'POST' } });
  t.equal(pre2.statusCode, 204);
  t.notOk(pre2.headers['access-control-allow-origin'], 'another origin: no CORS grant');
  t.notOk(pre2.headers['access-control-allow-methods']);
  t.notOk((await app.inject({ url: '/v1/checkin-token', headers: { origin: evil } })).headers['access-control-allow-origin']);
  t.notOk((await app.inject({ url: '/v1/status', headers: { origin } })).headers['access-control-allow-origin'], 'operator routes never');
  t.notOk((await app.inject({ url: '/healthz', headers: { origin } })).headers['access-control-allow-origin']);
});
