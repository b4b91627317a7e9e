/**
 * The clock guard's sync detection: the systemd timesync flag file, timedatectl's answer,
 * agreement with the chain's block time, and refusal until one of them says synced.
 */
import t from 'tap';
import { join } from 'node:path';
import { ManualClock } from '../../../core/clock.js';
import { ClockGuard, chainTimeProbe, systemSyncProbe, type ChainHealth } from '../../../kiosk/clock-guard.js';
import { makeService } from './helpers.js';

const NOW = Date.UTC(2026, 4, 1, 12);

t.test('system probe: flag file, then timedatectl', async (t) => {
  const dir = t.testdir({ synchronized: '' });
  t.same(await systemSyncProbe({ flagFile: join(dir, 'synchronized'), timedatectl: async () => 'no' }).check(NOW), { synced: true, detail: `${join(dir, 'synchronized')} present` });
  const missing = join(dir, 'absent');
  t.equal((await systemSyncProbe({ flagFile: missing, timedatectl: async () => 'yes' }).check(NOW)).synced, true);
  t.equal((await systemSyncProbe({ flagFile: missing, timedatectl: async () => 'no' }).check(NOW)).synced, false);
  t.match((await systemSyncProbe({ flagFile: missing, timedatectl: async () => undefined }).check(NOW)), { synced: false, detail: /no timedatectl/ });
});

t.test('chain probe: block time within the tolerance, and chain health', async (t) => {
  let health: ChainHealth | undefined;
  const near = chainTimeProbe({ latestBlockTime: async () => NOW / 1000 - 12 }, 30, (h) => (health = h));
  t.match(await near.check(NOW), { synced: true, detail: /\+12 s/ });
  t.match(health, { ok: true, blockTime: NOW / 1000 - 12, skewS: 12 });
  const far = chainTimeProbe({ latestBlockTime: async () => NOW / 1000 - 3600 }, 30);
  t.equal((await far.check(NOW)).synced, false);
  const down = chainTimeProbe({ latestBlockTime: async () => { throw new Error('ECONNREFUSED'); } }, 30, (h) => (health = h));
  t.match(await down.check(NOW), { synced: false, detail: /unreachable/ });
  t.match(health, { ok: false, error: 'ECONNREFUSED' });
});

t.test('the guard refuses until a probe reports sync, and again when it is lost', async (t) => {
  const clock = new ManualClock(NOW);
  let answer = 'no';
  let blockTime = NOW / 1000 - 7200;
  const guard = new ClockGuard({
    clock,
    probes: [systemSyncProbe({ flagFile: '/nonexistent/flag', timedatectl: async () => answer }), chainTimeProbe({ latestBlockTime: async () => blockTime }, 30)],
  });
  const { service } = makeService(t, { clock, clockGuard: guard });
  t.throws(() => service.currentToken(), { code: 'WAYMARK_ERR_CLOCK_UNSYNCED' }, 'not checked yet');
  await guard.refresh();
  t.throws(() => service.currentToken(), { code: 'WAYMARK_ERR_CLOCK_UNSYNCED' }, 'neither source synced');
  t.match(service.status().clock.detail, /timedatectl NTPSynchronized=no.*chain/);
  blockTime = NOW / 1000 - 5;
  t.match(await guard.refresh(), { synced: true, source: 'chain' });
  t.ok(service.currentToken().token, 'the chain agrees: tokens again');
  answer = 'yes';
  t.match(await guard.refresh(), { synced: true, source: 'system' });
  answer = 'no';
  blockTime = NOW / 1000 + 600;
  await guard.refresh();
  t.throws(() => service.currentToken(), { code: 'WAYMARK_ERR_CLOCK_UNSYNCED' }, 'sync lost');
});
