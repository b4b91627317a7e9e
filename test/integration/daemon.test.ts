/** The daemon's composition root: what starts is stopped again, in order, on failure and on stop. */
import t from 'tap';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { ManualClock } from '../../core/clock.js';
import { parseConfig } from '../../core/config.js';
import { startKioskDaemon } from '../../kiosk/daemon.js';
import { openDatabase } from '../../kiosk/store/database.js';
import type { RadioAdapters } from '../../kiosk/radio/adapters.js';
import type { ClockSyncProbe } from '../../kiosk/clock-guard.js';
import { PushScanner } from '../helpers/push-scanner.js';

const T0 = Date.UTC(2026, 6, 1, 12);

function recordingRadio(log: string[]): RadioAdapters & { scanner: PushScanner } {
  const scanner = new PushScanner();
  const close = scanner.close.bind(scanner);
  scanner.close = async () => {
    log.push('scanner closed');
    await close();
  };
  return { scanner, metrics: [], close: async () => void log.push('radio closed') };
}

function listening(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => resolve(s));
  });
}

const synced: ClockSyncProbe = { source: 'manual', check: async () => ({ synced: true, detail: 'test' }) };

t.test('a failed listen stops the radio and the store it had started', async (t) => {
  const dir = t.testdir({});
  const busy = await listening();
  t.teardown(() => busy.close());
  const port = (busy.address() as { port: number }).port;
  const log: string[] = [];
  const radio = recordingRadio(log);
  const config = parseConfig({ dataDir: dir, radio: { adapter: 'virtual' }, http: { host: '127.0.0.1', port } });
  await t.rejects(startKioskDaemon({ config, clock: new ManualClock(T0), radio, clockProbes: [synced] }), { code: 'EADDRINUSE' });
  t.same(log, ['scanner closed', 'radio closed'], 'the kiosk closed its scanner, then the radio was closed');
  t.equal(radio.scanner.running, false, 'no longer scanning');
  // the store was closed: another connection may take a write lock at once
  const db = openDatabase(join(dir, 'waymark.db'));
  t.doesNotThrow(() => db.exec('BEGIN IMMEDIATE; COMMIT;'));
  db.close();
});

t.test('stop: HTTP first, radio last; stopping twice is harmless', async (t) => {
  const dir = t.testdir({});
  const log: string[] = [];
  const radio = recordingRadio(log);
  const config = parseConfig({ dataDir: dir, radio: { adapter: 'virtual' }, http: { host: '127.0.0.1', port: 0 } });
  const daemon = await startKioskDaemon({ config, clock: new ManualClock(T0), radio, clockProbes: [synced] });
  t.match(daemon.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const status = await (await fetch(daemon.url + 'v1/status')).json() as any;
  t.match(status.clock, { synced: true, source: 'manual' }, 'one clock, from the guard');
  t.same(status.checkin, { enabled: false }, 'no key: check-in is off');
  radio.scanner.push({ address: '40:00:00:00:00:01', rssi: -60, time: T0 });
  await daemon.stop();
  await daemon.stop();
  t.same(log, ['scanner closed', 'radio closed']);
  await t.rejects(fetch(daemon.url + 'healthz'), 'HTTP is closed');
  t.ok(existsSync(join(dir, 'waymark.db')));
});

t.test('an unsynchronized clock: the guard says so and nothing is signed with it', async (t) => {
  const dir = t.testdir({});
  const radio = recordingRadio([]);
  const config = parseConfig({ dataDir: dir, radio: { adapter: 'virtual' }, http: { host: '127.0.0.1', port: 0 } });
  const unsynced: ClockSyncProbe = { source: 'system', check: async () => ({ synced: false, detail: 'timedatectl NTPSynchronized=no' }) };
  const daemon = await startKioskDaemon({ config, clock: new ManualClock(T0), radio, clockProbes: [unsynced] });
  t.teardown(() => daemon.stop());
  t.equal(daemon.clock.syncStatus().synced, false);
  const status = await (await fetch(daemon.url + 'v1/status')).json() as any;
  t.match(status.clock, { synced: false, source: 'none' });
  t.match(status.clock.detail, /NTPSynchronized=no/);
});

t.test('files: data dir 0700, store and its WAL 0600 whatever the umask; loose modes refuse the start', async (t) => {
  const parent = t.testdir({});
  const dir = join(parent, 'data');
  const old = process.umask(0);
  t.teardown(() => void process.umask(old));
  const config = parseConfig({ dataDir: dir, radio: { adapter: 'virtual' }, http: { host: '127.0.0.1', port: 0 } });
  const daemon = await startKioskDaemon({ config, clock: new ManualClock(T0), radio: recordingRadio([]), clockProbes: [synced] });
  const mode = (p: string) => statSync(p).mode & 0o777;
  t.equal(mode(dir), 0o700, 'data dir');
  for (const f of ['waymark.db', 'waymark.db-wal', 'waymark.db-shm']) t.equal(mode(join(dir, f)), 0o600, f);
  await daemon.stop();
  process.umask(old);

  chmodSync(join(dir, 'waymark.db'), 0o644);
  await t.rejects(startKioskDaemon({ config, clock: new ManualClock(T0), radio: recordingRadio([]), clockProbes: [synced] }),
    { code: 'WAYMARK_ERR_FILE_PERMISSIONS', message: /chmod 600 .*waymark\.db/ }, 'a readable store');
  chmodSync(join(dir, 'waymark.db'), 0o600);
  writeFileSync(join(dir, 'beacon-key.hex'), 'ab'.repeat(32) + '\n', { mode: 0o644 });
  chmodSync(join(dir, 'beacon-key.hex'), 0o644);
  await t.rejects(startKioskDaemon({ config, clock: new ManualClock(T0), radio: recordingRadio([]), clockProbes: [synced] }),
    { code: 'WAYMARK_ERR_FILE_PERMISSIONS', message: /beacon key .*chmod 600/ }, 'a readable beacon key');
});
