/**
 * The check-in routes inside the kiosk's HTTP app (fastify inject): token, 201 attestation,
 * replay/expiry/forgery codes, bad input always 4xx with a code, rate limits, clock guard.
 */
import t from 'tap';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { Kiosk } from '../../kiosk/kiosk.js';
import { buildHttpApp } from '../../kiosk/http/server.js';
import { checkinRoutes } from '../../kiosk/http/checkin-routes.js';
import { CheckinService } from '../../kiosk/checkin/service.js';
import { openDatabase } from '../../kiosk/store/database.js';
import { parseConfig, type KioskConfigInput } from '../../core/config.js';
import { ManualClock } from '../../core/clock.js';
import { verifyAttestation } from '../../beacon/visitor/attestation.js';
import { PushScanner } from '../helpers/push-scanner.js';

const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const visitor = (n: number) => '0x' + n.toString(16).padStart(64, '0');

async function setup(t: any, checkin: KioskConfigInput['checkin'] = {}) {
  const dir = t.testdir({});
  const config = parseConfig({ dataDir: dir, venue: { name: 'Café Test', geohash: 'u4pruydqq' }, store: { flushIntervalMs: 60000 }, checkin });
  const clock = new ManualClock(Date.UTC(2026, 4, 1, 12));
  const kiosk = new Kiosk({ config, clock, scanner: new PushScanner() });
  await kiosk.start();
  const db = openDatabase(join(dir, 'waymark.db'));
  const service = new CheckinService({ db, clock, key: KEY, chainId: 31337, registry: '0x5FbDB2315678afecb367f032d93F642f64180aa3', venueId: 1, geohash: 'u4pruydqq', settings: config.checkin });
  const app = await buildHttpApp(kiosk, {
    statusExtras: () => ({ checkin: service.status() }),
    plugins: [async (app) => { await app.register(checkinRoutes, { service, venueName: config.venue.name, publicUrl: () => 'http://kiosk.test:8080', rateLimit: config.checkin.rateLimit }); }],
  });
  t.teardown(async () => {
    await app.close();
    db.close();
    await kiosk.stop();
  });
  return { app, clock, service };
}

const post = (app: any, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/v1/checkins', payload: typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': 'application/json', ...headers } });

t.test('token, check-in, replay and expiry over HTTP', async (t) => {
  const { app, clock } = await setup(t);
  const res = await app.inject('/v1/checkin-token');
  t.equal(res.statusCode, 200);
  const tok = res.json();
  t.match(tok, { url: `http://kiosk.test:8080/checkin?token=${tok.token}`, kiosk: new Wallet(KEY).address, expiresAt: tok.issuedAt + 60, nextAt: tok.issuedAt + 20 });
  t.match(tok.qrSvg, /^<svg[\s\S]*<\/svg>\s*$/);
  const ok = await post(app, { visitor: visitor(1), token: tok.token });
  t.equal(ok.statusCode, 201);
  const att = ok.json().attestation;
  t.equal(verifyAttestation(att, { visitor: visitor(1) }).signer, new Wallet(KEY).address, 'full typed data + signature verify with ethers');
  t.same(Object.keys(att.typedData).sort(), ['domain', 'message', 'primaryType', 'types']);
  const again = await post(app, { visitor: visitor(1), token: tok.token });
  t.equal(again.statusCode, 409);
  t.equal(again.json().error.code, 'WAYMARK_ERR_CHECKIN_TOKEN_USED');
  clock.advance(61_000);
  const late = await post(app, { visitor: visitor(2), token: tok.token });
  t.equal(late.statusCode, 410);
  t.equal(late.json().error.code, 'WAYMARK_ERR_CHECKIN_TOKEN_EXPIRED');
  const forged = await post(app, { visitor: visitor(2), token: tok.token.slice(0, 20) + (tok.token[20] === 'A' ? 'B' : 'A') + tok.token.slice(21) });
  t.ok([403, 400].includes(forged.statusCode), `forged: ${forged.statusCode}`);
  t.match(forged.json().error.code, /^WAYMARK_ERR_CHECKIN_TOKEN_(INVALID|MALFORMED)$/);
  const status = (await app.inject('/v1/status')).json();
  t.match(status.checkin, { kiosk: new Wallet(KEY).address, attestations: { total: 1, unbatched: 1 }, clock: { synced: true } });
  const page = await app.inject(`/checkin?token=${tok.token}`);
  t.equal(page.statusCode, 200);
  t.match(page.body, /Check in at Café Test/);
});

t.test('malformed JSON, wrong types and oversized bodies get 4xx with a code, never 500', async (t) => {
  const { app } = await setup(t);
  const { token } = (await app.inject('/v1/checkin-token')).json();
  const cases: [string, unknown, number, string][] = [
    ['malformed JSON', '{"visitor": "0x', 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['not an object', '[1,2]', 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['empty body', '', 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['visitor a number', { visitor: 12, token }, 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['visitor short', { visitor: '0x1234', token }, 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['token an object', { visitor: visitor(1), token: { a: 1 } }, 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['token missing', { visitor: visitor(1) }, 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['extra field', { visitor: visitor(1), token, admin: true }, 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['token a number', { visitor: visitor(1), token: 12345 }, 400, 'WAYMARK_ERR_CHECKIN_TOKEN_MALFORMED'],
    ['token garbage', { visitor: visitor(1), token: 'abcdef' }, 400, 'WAYMARK_ERR_CHECKIN_TOKEN_MALFORMED'],
    ['oversized', { visitor: visitor(1), token, pad: 'x'.repeat(4000) }, 413, 'WAYMARK_ERR_PAYLOAD_TOO_LARGE'],
    ['oversized beyond the app limit', 'x'.repeat(64 * 1024), 413, 'WAYMARK_ERR_PAYLOAD_TOO_LARGE'],
  ];
  for (const [name, body, status, code] of cases) {
    const res = await post(app, body);
    t.equal(res.statusCode, status, `${name}: status`);
    t.equal(res.json().error?.code, code, `${name}: code`);
  }
  const text = await app.inject({ method: 'POST', url: '/v1/checkins', payload: 'visitor=1', headers: { 'content-type': 'text/plain' } });
  t.ok(text.statusCode >= 400 && text.statusCode < 500, `wrong media type: 4xx (${text.statusCode})`);
  t.ok(text.json().error.code, 'with a code');
});

t.test('per-client rate limits on the check-in endpoints', async (t) => {
  const { app } = await setup(t, { rateLimit: { checkinsPerMinute: 3, tokenReadsPerMinute: 4 } });
  const codes: number[] = [];
  for (let i = 0; i < 5; i++) codes.push((await app.inject('/v1/checkin-token')).statusCode);
  t.same(codes, [200, 200, 200, 200, 429]);
  const limited = await app.inject('/v1/checkin-token');
  t.equal(limited.json().error.code, 'WAYMARK_ERR_RATE_LIMITED');
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After');
  const other = await app.inject({ url: '/v1/checkin-token', remoteAddress: '10.0.0.9' });
  t.equal(other.statusCode, 200, 'another client is not limited');
  const { token } = other.json();
  const posts: number[] = [];
  for (let i = 0; i < 4; i++) posts.push((await post(app, { visitor: visitor(100 + i), token })).statusCode);
  t.same(posts, [201, 201, 201, 429]);
});

t.test('an unsynced clock: 503 WAYMARK_ERR_CLOCK_UNSYNCED for token and check-in', async (t) => {
  const { app, clock } = await setup(t);
  const { token } = (await app.inject('/v1/checkin-token')).json();
  clock.setSyncStatus({ synced: false, source: 'none', detail: 'no NTP' });
  for (const res of [await app.inject('/v1/checkin-token'), await post(app, { visitor: visitor(1), token })]) {
    t.equal(res.statusCode, 503);
    t.equal(res.json().error.code, 'WAYMARK_ERR_CLOCK_UNSYNCED');
  }
  t.equal((await app.inject('/v1/status')).json().checkin.clock.synced, false);
});
