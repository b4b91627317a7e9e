import t from 'tap';
import { join } from 'node:path';
import { Kiosk } from '../../../kiosk/kiosk.js';
import { buildHttpApp } from '../../../kiosk/http/server.js';
import { parseConfig } from '../../../core/config.js';
import { ManualClock } from '../../../core/clock.js';
import { PushScanner } from '../../helpers/push-scanner.js';

async function setup(t: any) {
  const dir = t.testdir({});
  const config = parseConfig({ dataDir: dir, venue: { name: 'Café <Test>', geohash: 'u4pruydqq' }, store: { flushIntervalMs: 60000 } });
  const clock = new ManualClock(Date.UTC(2026, 4, 1, 12));
  const scanner = new PushScanner();
  const kiosk = new Kiosk({ config, clock, scanner });
  await kiosk.start();
  const app = await buildHttpApp(kiosk);
  t.teardown(async () => {
    await app.close();
    await kiosk.stop();
  });
  return { kiosk, app, clock, scanner, dir };
}

t.test('status, occupancy and health reflect the reports', async (t) => {
  const { app, kiosk, clock, scanner, dir } = await setup(t);
  scanner.push({ address: '40:00:00:00:00:01', rssi: -60, time: clock.now() });
  scanner.push({ address: '40:00:00:00:00:02', rssi: -95, time: clock.now() });
  scanner.push({ address: 'c0:00:00:00:00:03', addressKind: 'static', rssi: -50, time: clock.now() });
  clock.advance(1000);
  kiosk.flushNow();

  const health = await app.inject('/healthz');
  t.equal(health.statusCode, 200);
  t.same(health.json(), { ok: true, radio: 'poweredOn', store: 'ok' });

  const status = (await app.inject('/v1/status')).json();
  t.equal(status.venue.name, 'Café <Test>');
  t.equal(status.radio.adapter, 'test/push');
  t.equal(status.sightings.reports, 3);
  t.equal(status.sightings.sessionsOpen, 3);
  t.equal(status.store.path, join(dir, 'waymark.db'));
  t.equal(status.store.ok, true);
  t.equal(status.clock.synced, true);

  const occ = (await app.inject('/v1/occupancy')).json();
  t.equal(occ.now, 1, 'one visitor device over the -85 dBm threshold (static beacon not counted)');
  t.equal(occ.openSessions, 3);
  t.equal(occ.series.length, 1);
  t.equal(occ.dwellHistogram.length, 7);
});

t.test('bad query parameters get 400 with a code, never 500', async (t) => {
  const { app } = await setup(t);
  for (const url of ['/v1/occupancy?since=abc', '/v1/occupancy?since=-5', '/v1/occupancy?bogus=1', '/v1/occupancy?since=200&until=100']) {
    const res = await app.inject(url);
    t.equal(res.statusCode, 400, url);
    t.equal(res.json().error.code, 'WAYMARK_ERR_BAD_REQUEST', url);
  }
});

t.test('unknown routes get 404 with a code', async (t) => {
  const { app } = await setup(t);
  const res = await app.inject('/v1/nothing-here');
  t.equal(res.statusCode, 404);
  t.equal(res.json().error.code, 'WAYMARK_ERR_NOT_FOUND');
});

t.test('metrics are Prometheus text with the kiosk counters', async (t) => {
  const { app, scanner, clock, kiosk } = await setup(t);
  scanner.push({ address: '40:00:00:00:00:01', rssi: -60, time: clock.now() });
  scanner.push({ address: '40:00:00:00:00:01', rssi: 90, time: clock.now() });
  kiosk.flushNow();
  const res = await app.inject('/metrics');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/plain/);
  t.match(res.body, /^waymark_reports_total 1$/m);
  t.match(res.body, /^waymark_reports_dropped_total\{reason="rssi"\} 1$/m);
  t.match(res.body, /^waymark_sessions_open 1$/m);
  t.match(res.body, /waymark_process_/);
});

t.test('the page names the venue, escaped', async (t) => {
  const { app } = await setup(t);
  const res = await app.inject('/');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/html/);
  t.match(res.body, /Café &lt;Test&gt;/);
  t.notMatch(res.body, /Café <Test>/);
});

t.test('healthz is 503 when the radio is not powered on', async (t) => {
  const { app, scanner } = await setup(t);
  (scanner as any).emit('state', 'poweredOff');
  const res = await app.inject('/healthz');
  t.equal(res.statusCode, 503);
  t.equal(res.json().radio, 'poweredOff');
});
