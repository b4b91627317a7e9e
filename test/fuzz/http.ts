/**
 * Fuzz property of the kiosk's HTTP routes: the app the daemon builds (core routes, check-in
 * routes, batch routes, wallet bundle and CORS, operator token) answers arbitrary methods,
 * paths, query strings, headers and bodies (fastify inject, no socket) with a 2xx, or a JSON
 * error body whose WAYMARK_ERR_* code matches the status, and never with WAYMARK_ERR_INTERNAL;
 * it never serves a file outside the wallet bundle, and CORS only for the wallet's origin.
 */
import assert from 'node:assert/strict';
import { METHODS } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { ManualClock } from '../../core/clock.js';
import { parseConfig } from '../../core/config.js';
import { ERRORS, isErrorCode } from '../../core/errors.js';
import { Kiosk } from '../../kiosk/kiosk.js';
import { buildHttpApp } from '../../kiosk/http/server.js';
import { batchRoutes } from '../../kiosk/http/batch-routes.js';
import { checkinRoutes } from '../../kiosk/http/checkin-routes.js';
import { BatchStore } from '../../kiosk/batcher/batch-store.js';
import { Batcher } from '../../kiosk/batcher/batcher.js';
import { sessionRecordSource } from '../../kiosk/batcher/session-source.js';
import { CheckinService } from '../../kiosk/checkin/service.js';
import { PushScanner } from '../helpers/push-scanner.js';
import { addSessions, session, T0 } from '../unit/batcher/helpers.js';
import type { FuzzProperty } from './harness.js';

/** anvil's public dev key #1: a test key, never a real one. */
const KIOSK_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const OPERATOR_TOKEN = 'op-fuzz-' + 'x'.repeat(32);
const WALLET_ORIGIN = 'https://wallet.example.org';
/** In the data dir, next to the wallet bundle: no route may ever serve it. */
const SECRET = 'fuzz-secret-' + 'S'.repeat(16);

export async function kioskApp() {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-fuzz-http-'));
  const bundleDir = join(dir, 'wallet');
  mkdirSync(bundleDir);
  writeFileSync(join(bundleDir, 'index.html'), '<!doctype html><title>wallet</title>');
  writeFileSync(join(bundleDir, 'app.js'), 'console.log("wallet")');
  writeFileSync(join(bundleDir, 'notes.md'), SECRET);
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  const config = parseConfig({
    dataDir: dir, venue: { name: 'Fuzz Café', geohash: 'u4pruydqq' }, store: { flushIntervalMs: 60_000 },
    checkin: { rateLimit: { checkinsPerMinute: 1_000_000, tokenReadsPerMinute: 1_000_000 } },
  });
  const clock = new ManualClock(T0);
  const kiosk = new Kiosk({ config, clock, scanner: new PushScanner() });
  await kiosk.start();
  const store = new BatchStore(kiosk.database);
  addSessions(kiosk.store, [1, 2, 3, 4].map((i) => session(i, T0 - 120_000 + i)));
  new Batcher({ store, sources: [sessionRecordSource(kiosk.store)], maxRecords: 3, maxAgeS: 60 }).tick(T0);
  const service = new CheckinService({
    db: kiosk.database, clock, key: KIOSK_KEY, chainId: 31337, registry: '0x5FbDB2315678afecb367f032d93F642f64180aa3', venueId: 1, geohash: 'u4pruydqq', settings: config.checkin,
  });
  // errors are logged, so a WAYMARK_ERR_INTERNAL can be reported with its cause
  const errorLog: string[] = [];
  const logger = pino({ level: 'error' }, new Writable({ write(chunk, _enc, done) { errorLog.push(String(chunk)); if (errorLog.length > 5) errorLog.shift(); done(); } }));
  const app = await buildHttpApp(kiosk, {
    logger,
    operatorToken: OPERATOR_TOKEN,
    wallet: { origins: [WALLET_ORIGIN], bundleDir },
    statusExtras: () => ({ checkin: service.status() }),
    plugins: [
      async (app) => { await app.register(checkinRoutes, { service, venueName: config.venue.name, publicUrl: () => 'http://kiosk.test:8080', rateLimit: config.checkin.rateLimit }); },
      batchRoutes(store),
    ],
  });
  await app.ready();
  return {
    app, service, clock, errorLog,
    close: async () => {
      await app.close();
      await kiosk.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const segment = fc.oneof(
  fc.constantFrom('0', '1', '2', '7', '-1', '1.5', '1e3', 'Infinity', 'NaN', '9'.repeat(20), 's-1', 's-3', 's-99', 'a-0x' + 'ab'.repeat(32), '0x' + '00'.repeat(32),
    '%ff', '%2e%2e', '..', '', 'a%00b', '%E2%82%AC', 'x'.repeat(201), encodeURIComponent('é/?#')),
  fc.string({ unit: fc.constantFrom(...'abcxyz0189-_.~%!$&\'()*+,;=:@'), maxLength: 12 }),
);

const pathArb = fc.tuple(
  fc.constantFrom('/', '/healthz', '/v1/status', '/v1/occupancy', '/metrics', '/v1/checkin-token', '/v1/checkins', '/checkin', '/v1/batches',
    '/v1/batches/{}', '/v1/records/{}/proof', '/v1/{}', '/{}', '/v1/records/{}', '/favicon.ico',
    '/wallet', '/wallet/', '/wallet/{}', '/wallet/index.html', '/wallet/app.js', '/wallet/notes.md', '/wallet/../secret.txt', '/wallet/%2e%2e%2fsecret.txt', '/wallet/..%2fsecret.txt'),
  segment,
  fc.constantFrom('', '', '', '/', '//', '/extra', '?'),
).map(([template, seg, tail]) => template.replace('{}', seg) + tail);

const queryValue = fc.oneof(
  fc.constantFrom('0', '1', '5', '-5', '1.5', '1e3', '1e400', 'Infinity', '-Infinity', 'NaN', ' 1', '0x10', 'abc', '', 'pending', 'sent', 'confirmed', String(T0), String(T0 - 3_600_000)),
  fc.string({ maxLength: 10 }),
);
const queryArb = fc.array(fc.tuple(fc.constantFrom('since', 'until', 'state', 'limit', 'before', 'token', 'x', '', 'since[]', '__proto__', 'constructor'), queryValue), { maxLength: 4 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));

const headerValue = fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_/;=.,*:+"\''), maxLength: 30 });
const headersArb = fc.record({
  'content-type': fc.oneof(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/JSON', 'application/json;', ''), headerValue),
  authorization: fc.oneof(fc.constant(`Bearer ${OPERATOR_TOKEN}`), fc.constant('Bearer nope'), headerValue),
  accept: fc.constantFrom('application/json', 'text/html', '*/*', ''),
  'x-forwarded-for': fc.constantFrom('10.0.0.1', '127.0.0.1', 'junk'),
  origin: fc.constantFrom(WALLET_ORIGIN, 'https://evil.example', 'null', WALLET_ORIGIN + '/'),
  'access-control-request-method': fc.constantFrom('POST', 'GET', 'DELETE'),
  'access-control-request-private-network': fc.constantFrom('true', 'false'),
  'content-encoding': fc.constantFrom('gzip', 'identity', 'br'),
  'accept-encoding': fc.constantFrom('gzip', 'deflate', 'identity'),
  'x-fuzz': headerValue,
}, { requiredKeys: [] });

const visitorHex = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => '0x' + Buffer.from(b).toString('hex')) },
  { weight: 1, arbitrary: fc.constantFrom('0x' + '01'.repeat(32), '0x' + 'AB'.repeat(32)) }, // the same visitor again: a replay
  { weight: 1, arbitrary: fc.constantFrom('0x1234', '', 12, '0x' + 'g'.repeat(64)) },
);
/** `token: null` means "the kiosk's current token", `0` one it issued earlier, `1` the current one altered (forged). */
const bodyArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.record({ visitor: visitorHex, token: fc.oneof(fc.constantFrom(null, 0, 1), fc.string({ maxLength: 20 }), fc.constantFrom(12345, 'AAAA', 'x'.repeat(300))) }, { requiredKeys: ['visitor'] })
    .map((b) => ({ checkin: b as { visitor: unknown; token?: unknown } })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom('{"visitor": "0x', '[1,2]', '', 'null', '{"__proto__": {"x": 1}}', '{"constructor": {"prototype": {}}}', 'x'.repeat(2000), '\ufeff{}') },
);

const wildRequestArb = fc.record({
  method: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('GET', 'POST') }, { weight: 2, arbitrary: fc.constantFrom(...METHODS) }),
  path: pathArb,
  query: queryArb,
  headers: headersArb,
  body: bodyArb,
  remoteAddress: fc.constantFrom('127.0.0.1', '::1', '10.0.0.5', '192.168.1.20', '::ffff:127.0.0.1'),
});

/** Requests a phone or an operator would send, now and then a little off: they reach the handlers. */
const usualRequestArb = fc.oneof(
  fc.record({
    method: fc.constant('POST'),
    path: fc.constant('/v1/checkins'),
    query: fc.constant(''),
    headers: fc.constantFrom({ 'content-type': 'application/json' }, { 'content-type': 'application/json; charset=utf-8' }),
    body: fc.record({ visitor: visitorHex, token: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.constantFrom(0, 1) }, { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'ABCabc019-_'), minLength: 1, maxLength: 120 }) }) })
      .map((checkin) => ({ checkin: checkin as { visitor: unknown; token?: unknown } })),
    remoteAddress: fc.constantFrom('10.0.0.5', '10.0.0.6'),
  }),
  fc.record({
    method: fc.constantFrom('GET', 'GET', 'HEAD'),
    path: fc.constantFrom('/v1/occupancy', '/v1/batches', '/v1/batches/0', '/v1/batches/1', '/v1/records/s-1/proof', '/v1/records/s-4/proof', '/v1/checkin-token', '/checkin', '/v1/status', '/metrics'),
    query: fc.array(fc.tuple(fc.constantFrom('since', 'until', 'state', 'limit', 'before', 'token'), fc.oneof(fc.nat().map(String), fc.constantFrom(String(T0), 'pending', 'confirmed', 'AAAA'))), { maxLength: 2 })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
    headers: fc.constantFrom({}, { authorization: `Bearer ${OPERATOR_TOKEN}` }, { origin: WALLET_ORIGIN }),
    body: fc.constant(undefined),
    remoteAddress: fc.constantFrom('127.0.0.1', '10.0.0.5'),
  }),
  fc.record({
    method: fc.constantFrom('OPTIONS', 'GET'),
    path: fc.constantFrom('/v1/checkins', '/v1/checkin-token', '/v1/records/s-1/proof', '/wallet/', '/wallet/app.js', '/wallet'),
    query: fc.constant(''),
    headers: fc.record({ origin: fc.constantFrom(WALLET_ORIGIN, 'https://evil.example'), 'access-control-request-method': fc.constantFrom('POST', 'GET') }),
    body: fc.constant(undefined),
    remoteAddress: fc.constant('10.0.0.7'),
  }),
);

/** A request, and what happens to the kiosk clock before it: time passes, now and then the clock loses sync. */
export const httpRequestArb = fc.tuple(
  fc.oneof({ weight: 2, arbitrary: wildRequestArb }, { weight: 1, arbitrary: usualRequestArb }),
  fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 40_000 }) }),
  fc.oneof({ weight: 30, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
).map(([req, advanceMs, synced]) => ({ ...req, advanceMs, synced }));

/** The token with one base64url digit of its signature changed. */
function forged(token: string): string {
  const at = 40 + (token.charCodeAt(7) % 50);
  return token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
}

const httpRoutes: FuzzProperty = {
  name: 'http: arbitrary requests get a 2xx or a JSON { error: { code: WAYMARK_ERR_* } } with its status, never _INTERNAL',
  runs: 6_000,
  build: async () => {
    const { app, service, clock, errorLog, close } = await kioskApp();
    let earlier = service.currentToken().token;
    return {
      property: fc.asyncProperty(httpRequestArb, async (req) => {
        clock.advance(req.advanceMs);
        let payload: string | undefined;
        if (req.body === undefined || typeof req.body === 'string') payload = req.body;
        else {
          const { visitor, token } = req.body.checkin;
          const current = service.currentToken().token;
          const chosen = token === null ? current : token === 0 ? earlier : token === 1 ? forged(current) : token;
          if (token === 0) earlier = current;
          payload = JSON.stringify({ visitor, ...(token === undefined ? {} : { token: chosen }) });
        }
        const url = req.query ? `${req.path}${req.path.includes('?') ? '&' : '?'}${req.query}` : req.path;
        const sync = clock.syncStatus();
        if (!req.synced) clock.setSyncStatus({ synced: false, source: 'none', detail: 'fuzz: clock lost sync' });
        const res = await app.inject({ method: req.method as 'GET', url, headers: req.headers, payload, remoteAddress: req.remoteAddress })
          .finally(() => clock.setSyncStatus(sync));
        const where = `${req.method} ${url} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
        assert.notEqual(res.statusCode, 500, `${where}\nlog: ${errorLog.join('')}`);
        assert.ok(!res.body.includes(SECRET), `served a file outside the wallet bundle: ${where}`);
        const cors = res.headers['access-control-allow-origin'];
        const origin = (req.headers as Record<string, string | undefined>).origin;
        if (cors !== undefined) assert.ok(cors === WALLET_ORIGIN && origin === WALLET_ORIGIN, `CORS for ${String(origin)}: ${where}`);
        if (res.statusCode >= 200 && res.statusCode < 300) return;
        if (res.statusCode === 301 && res.headers.location === '/wallet/') return; // GET /wallet
        assert.match(String(res.headers['content-type']), /^application\/json/, where);
        if (req.method === 'HEAD') return; // no body to read
        if (req.path === '/healthz' && res.statusCode === 503) return; // {ok: false, ...}
        let body: any;
        assert.doesNotThrow(() => (body = JSON.parse(res.body)), where);
        const code = body?.error?.code;
        assert.ok(isErrorCode(code), `no Waymark code: ${where}`);
        assert.notEqual(code, 'WAYMARK_ERR_INTERNAL', `${where}\nlog: ${errorLog.join('')}`);
        assert.equal(res.statusCode, ERRORS[code].status, `status matches the code: ${where}`);
      }),
      close,
    };
  },
};

export const httpProperties: FuzzProperty[] = [httpRoutes];
