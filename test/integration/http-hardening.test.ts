/**
 * Bad requests on a real socket: every non-2xx answer carries a WAYMARK_ERR_* code — router
 * errors, Node's own HTTP parser errors and non-finite numbers included — and operator
 * routes answer other machines only with the operator token.
 */
import t from 'tap';
import { connect } from 'node:net';
import { Kiosk } from '../../kiosk/kiosk.js';
import { buildHttpApp } from '../../kiosk/http/server.js';
import { batchRoutes } from '../../kiosk/http/batch-routes.js';
import { BatchStore } from '../../kiosk/batcher/batch-store.js';
import { parseConfig } from '../../core/config.js';
import { ManualClock } from '../../core/clock.js';
import { PushScanner } from '../helpers/push-scanner.js';

const TOKEN = 'op-' + 'x'.repeat(40);

async function setup(t: any) {
  const dir = t.testdir({});
  const kiosk = new Kiosk({ config: parseConfig({ dataDir: dir }), clock: new ManualClock(Date.UTC(2026, 4, 1, 12)), scanner: new PushScanner() });
  await kiosk.start();
  const app = await buildHttpApp(kiosk, { plugins: [batchRoutes(new BatchStore(kiosk.database))], operatorToken: TOKEN });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(async () => {
    await app.close();
    await kiosk.stop();
  });
  return { app, port: (app.server.address() as { port: number }).port };
}

/** Sends raw bytes, returns the status code and the parsed JSON body of the answer. */
function raw(port: number, request: string | Buffer): Promise<{ status: number; body: any; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => (data += d));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      const text = data.slice(data.indexOf('\r\n\r\n') + 4);
      let body: any = null;
      try {
        body = JSON.parse(text);
      } catch { /* not JSON */ }
      resolve({ status, body, text: data });
    });
    socket.write(request);
    socket.end();
  });
}

t.test('router and parser errors are answered with a Waymark code', async (t) => {
  const { port } = await setup(t);
  const cases: [string, string | Buffer, number, string][] = [
    ['bad percent-encoding', 'GET /%ff HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n', 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['an over-long path parameter', `GET /v1/batches/${'9'.repeat(300)} HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n`, 414, 'WAYMARK_ERR_URI_TOO_LONG'],
    ['headers over 8 KiB', `GET /healthz HTTP/1.1\r\nHost: k\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`, 431, 'WAYMARK_ERR_HEADERS_TOO_LARGE'],
    ['a URL over 8 KiB', `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: k\r\n\r\n`, 431, 'WAYMARK_ERR_HEADERS_TOO_LARGE'],
    ['a bad Content-Length', 'POST /v1/checkins HTTP/1.1\r\nHost: k\r\nContent-Length: abc\r\n\r\n', 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['Content-Length with Transfer-Encoding', 'POST /v1/checkins HTTP/1.1\r\nHost: k\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['NUL in the path', Buffer.from('GET /he\0lthz HTTP/1.1\r\nHost: k\r\n\r\n'), 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['not HTTP at all', 'HELLO\r\n\r\n', 400, 'WAYMARK_ERR_BAD_REQUEST'],
    ['no Host header, unknown route', 'GET /nowhere HTTP/1.1\r\nConnection: close\r\n\r\n', 404, 'WAYMARK_ERR_NOT_FOUND'],
  ];
  for (const [name, request, status, code] of cases) {
    const r = await raw(port, request);
    t.equal(r.status, status, `${name}: status`);
    t.equal(r.body?.error?.code, code, `${name}: ${r.text.slice(0, 120)}`);
  }
  const noHost = await raw(port, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
  t.equal(noHost.status, 200, 'a request without Host is served (nothing trusts Host)');
});

t.test('numbers in queries and params must be finite', async (t) => {
  const { app } = await setup(t);
  for (const url of ['/v1/batches?limit=Infinity', '/v1/batches?limit=-Infinity', '/v1/batches?limit=1e400', '/v1/batches?before=NaN',
    '/v1/occupancy?since=-Infinity', '/v1/occupancy?until=1e999', '/v1/batches/Infinity']) {
    const res = await app.inject(url);
    t.equal(res.statusCode, 400, url);
    t.equal(res.json().error.code, 'WAYMARK_ERR_BAD_REQUEST', url);
  }
  t.equal((await app.inject('/v1/batches?limit=5')).statusCode, 200, 'a finite limit still works');
  t.equal((await app.inject('/v1/occupancy?since=0')).statusCode, 200);
});

t.test('operator routes: loopback, or the operator token', async (t) => {
  const { app } = await setup(t);
  const venue = { remoteAddress: '192.168.4.20' };
  for (const url of ['/v1/status', '/metrics', '/v1/batches', '/v1/batches/1', '/v1/occupancy']) {
    const res = await app.inject({ url, ...venue });
    t.equal(res.statusCode, 403, `${url} from the venue network`);
    t.equal(res.json().error.code, 'WAYMARK_ERR_OPERATOR_ONLY');
    const wrong = await app.inject({ url, ...venue, headers: { authorization: 'Bearer nope' } });
    t.equal(wrong.statusCode, 403, `${url} with a wrong token`);
    const right = await app.inject({ url, ...venue, headers: { authorization: `Bearer ${TOKEN}` } });
    t.not(right.statusCode, 403, `${url} with the token`);
    t.not((await app.inject({ url, remoteAddress: '127.0.0.1' })).statusCode, 403, `${url} on loopback`);
    t.not((await app.inject({ url, remoteAddress: '::ffff:127.0.0.1' })).statusCode, 403, `${url} on IPv4-mapped loopback`);
  }
  for (const url of ['/', '/healthz', '/v1/records/s-1/proof']) {
    t.not((await app.inject({ url, ...venue })).statusCode, 403, `${url} is public`);
  }
});
