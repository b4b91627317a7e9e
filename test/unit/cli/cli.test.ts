import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { cli } from '../../helpers/cli.js';

t.test('help lists every command and exits 0', async (t) => {
  const r = await cli(['help']);
  t.equal(r.code, 0);
  for (const c of ['demo', 'kiosk start', 'replay', 'config check', 'beacon encode', 'beacon verify']) t.match(r.stdout, `waymark ${c}`);
  t.equal((await cli([])).code, 0);
});

t.test('every command has --help', async (t) => {
  for (const c of [['demo'], ['kiosk', 'start'], ['replay'], ['config', 'check']]) {
    const r = await cli([...c, '--help']);
    t.equal(r.code, 0, c.join(' '));
    t.match(r.stdout, `Usage: waymark ${c.join(' ')}`);
    t.match(r.stdout, 'Flags:');
  }
});

t.test('unknown commands and flags are usage errors (exit 2, named code)', async (t) => {
  let r = await cli(['frobnicate']);
  t.equal(r.code, 2);
  t.match(r.stderr, 'WAYMARK_ERR_USAGE');
  r = await cli(['kiosk', 'stop']);
  t.equal(r.code, 2);
  t.match(r.stderr, 'kiosk start');
  r = await cli(['demo', '--no-such-flag']);
  t.equal(r.code, 2);
  t.match(r.stderr, /WAYMARK_ERR_USAGE/);
  t.match(r.stderr, /Usage: waymark demo/);
  for (const bad of [['--port', '70000'], ['--port', 'x'], ['--speed', '0'], ['--speed', 'fast'], ['--duration', '-1'], ['--seed', '1.5'], ['--json']]) {
    r = await cli(['demo', ...bad]);
    t.equal(r.code, 2, bad.join(' '));
    t.match(r.stderr, 'WAYMARK_ERR_USAGE', bad.join(' '));
  }
  r = await cli(['replay']);
  t.equal(r.code, 2);
  r = await cli(['replay', 'a', 'b']);
  t.equal(r.code, 2);
});

t.test('config check names every bad field', async (t) => {
  const dir = t.testdir({});
  const good = join(dir, 'good.json');
  const bad = join(dir, 'bad.json');
  const broken = join(dir, 'broken.json');
  writeFileSync(good, JSON.stringify({ venue: { name: 'Test', geohash: 'u4pruydqq' }, radio: { adapter: 'virtual' } }));
  writeFileSync(bad, JSON.stringify({ venue: { geohash: 'u4pr' }, radio: { adapter: 'wifi' }, retention: { days: -1 }, colour: 'red' }));
  writeFileSync(broken, '{ "venue": ');
  let r = await cli(['config', 'check', '--config', good]);
  t.equal(r.code, 0);
  t.match(r.stdout, 'valid');
  r = await cli(['config', 'check', '--config', good, '--json']);
  t.equal(JSON.parse(r.stdout).config.sightings.sessionGapS, 15, 'defaults filled in');
  r = await cli(['config', 'check', '--config', bad]);
  t.equal(r.code, 1);
  for (const field of ['venue.geohash', 'radio.adapter', 'retention.days', 'colour']) t.match(r.stderr, field);
  t.match(r.stderr, 'WAYMARK_ERR_CONFIG_INVALID');
  r = await cli(['config', 'check', '--config', broken, '--json']);
  t.equal(r.code, 1);
  t.equal(JSON.parse(r.stdout).error.code, 'WAYMARK_ERR_CONFIG_INVALID');
  r = await cli(['config', 'check', '--config', join(dir, 'missing.json')]);
  t.equal(r.code, 1);
  t.match(r.stderr, 'WAYMARK_ERR_CONFIG_NOT_FOUND');
});

t.test('env overrides host paths in the config', async (t) => {
  const dir = t.testdir({ 'c.json': JSON.stringify({ dataDir: '/nowhere' }) });
  const r = await cli(['config', 'check', '--config', join(dir, 'c.json'), '--json'], {
    env: { WAYMARK_DATA_DIR: '/srv/waymark', WAYMARK_SERIAL_PORT: '/dev/ttyUSB3', WAYMARK_HTTP_PORT: '9090' },
  });
  const cfg = JSON.parse(r.stdout).config;
  t.equal(cfg.dataDir, '/srv/waymark');
  t.equal(cfg.radio.serialPort, '/dev/ttyUSB3');
  t.equal(cfg.http.port, 9090);
});

t.test('replay refuses a file that is not a btsnoop capture', async (t) => {
  const dir = t.testdir({ 'junk.btsnoop': 'this is not a capture at all' });
  const r = await cli(['replay', join(dir, 'junk.btsnoop'), '--json']);
  t.equal(r.code, 2);
  t.equal(JSON.parse(r.stdout).error.code, 'WAYMARK_ERR_FILE_FORMAT');
  const missing = await cli(['replay', join(dir, 'nope.btsnoop')]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, 'no such file');
});
