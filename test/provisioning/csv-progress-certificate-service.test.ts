import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { parseCsv, parseCsvRecords } from '../../provisioning/csv.js';
import { ProgressBar } from '../../provisioning/progress.js';
import { signDeviceCertificate, verifyDeviceCertificate, assertDeviceCertificate, certificateDigest, type StoredDeviceCertificate } from '../../contracts/device-certificate.js';
import { renderServiceUnit, installService } from '../../provisioning/service.js';
import { REPO, cli } from '../helpers/cli.js';

t.test('CSV: quotes, escaped quotes, line breaks in fields, CRLF, BOM, line numbers', async (t) => {
  const text = '\ufeffvenue,lat,lon,data_dir\r\n"Café ""Nord""",1.5,2,a\r\n\r\n"two\nlines",3,4,b\nplain,5,6,c';
  const table = parseCsv(text, { required: ['venue', 'lat', 'lon', 'data_dir'] });
  t.same(table.columns, ['venue', 'lat', 'lon', 'data_dir']);
  t.same(table.rows.map((r) => r.values.venue), ['Café "Nord"', 'two\nlines', 'plain']);
  t.same(table.rows.map((r) => r.line), [2, 4, 6], 'each row keeps the line it starts on');
  t.throws(() => parseCsv('venue,lat\nx,1', { required: ['venue', 'lat', 'lon'] }), { code: 'WAYMARK_ERR_FILE_FORMAT', message: /lon/ });
  t.throws(() => parseCsv('venue,colour\nx,red', { known: ['venue'] }), { code: 'WAYMARK_ERR_FILE_FORMAT', message: /colour/ });
  t.throws(() => parseCsvRecords('a,"b\nc'), { code: 'WAYMARK_ERR_FILE_FORMAT', message: /never closed/ });
  t.throws(() => parseCsv(''), { code: 'WAYMARK_ERR_FILE_FORMAT' });
  const extra = parseCsv('a,b\n1,2,3');
  t.equal(extra.rows[0].values.__extra, '3', 'surplus fields are kept for the row to be rejected');
});

t.test('progress bar draws only on a TTY', async (t) => {
  const written: string[] = [];
  const pipe = new ProgressBar(3, { isTTY: false, write: (s) => written.push(s) });
  pipe.tick('a');
  pipe.finish();
  t.equal(written.length, 0, 'nothing on a pipe');
  t.notOk(pipe.enabled);
  const tty = new ProgressBar(4, { isTTY: true, columns: 60, write: (s) => written.push(s) });
  tty.tick('first');
  tty.tick('second');
  t.ok(tty.enabled);
  t.match(written.at(-1)!, /^\r\[#+-+\] 2\/4  50% second/);
  t.match(ProgressBar.render(4, 4, 'done', 60), / 4\/4 100% done$/);
  t.ok(ProgressBar.render(1, 3, 'x'.repeat(200), 50).length <= 49, 'fits the terminal');
});

t.test('device certificate: EIP-712 sign and verify; tampering and mismatches are named', async (t) => {
  const operator = Wallet.createRandom();
  const kiosk = Wallet.createRandom().address;
  const domain = { chainId: 31337, registry: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };
  const cert = await signDeviceCertificate(operator, domain, { kiosk, venueId: 7n, geohash: 'u4pruydqq', validFrom: 1000, validUntil: 2000 });
  const good = verifyDeviceCertificate(cert, { now: 1500, kiosk, venueId: 7n, geohash: 'u4pruydqq', operator: operator.address, chainId: 31337, registry: domain.registry });
  t.same(good, { ok: true, signer: operator.address, problems: [] });
  t.equal(assertDeviceCertificate(cert, { now: 1500 }), operator.address);
  t.match(certificateDigest(cert), /^0x[0-9a-f]{64}$/);

  const tampered: StoredDeviceCertificate = structuredClone(cert);
  tampered.certificate.venueId = '8';
  const bad = verifyDeviceCertificate(tampered, { now: 1500 });
  t.notOk(bad.ok);
  t.match(bad.problems.join(), /not by the operator it names/, 'a changed field no longer recovers the operator');

  const other = verifyDeviceCertificate(cert, { now: 2500, kiosk: Wallet.createRandom().address, operator: Wallet.createRandom().address, chainId: 1 });
  t.equal(other.problems.length, 4);
  t.match(other.problems.join('|'), /this kiosk is.*\|.*venue operator is|expired/);
  t.throws(() => assertDeviceCertificate(cert, { now: 999 }), { code: 'WAYMARK_ERR_CERTIFICATE_INVALID', message: /not valid before/ });
  await t.rejects(signDeviceCertificate(operator, domain, { kiosk, venueId: 7n, geohash: 'u4pruydqq', validFrom: 5, validUntil: 5 }), { code: 'WAYMARK_ERR_USAGE' });
});

t.test('the systemd unit comes from one template: the shipped file is its default rendering', async (t) => {
  const shipped = readFileSync(join(REPO, 'deploy/waymark.service'), 'utf8');
  t.equal(shipped.slice(shipped.indexOf('[Unit]')), renderServiceUnit(), 'deploy/waymark.service == renderServiceUnit()');
  const custom = renderServiceUnit({ user: 'kiosk', group: 'kiosk', dataDir: '/srv/waymark', configFile: '/srv/waymark/config.json' });
  t.match(custom, /^User=kiosk$/m);
  t.match(custom, /^Restart=on-failure$/m);
  t.match(custom, /^ReadWritePaths=\/srv\/waymark$/m);
  t.match(custom, /^Environment=WAYMARK_CONFIG=\/srv\/waymark\/config.json$/m);
  t.notMatch(custom, /StateDirectory/, 'only /var/lib dirs are systemd state dirs');
  t.throws(() => renderServiceUnit({ user: 'bad user\nExecStartPre=/bin/sh' }), { code: 'WAYMARK_ERR_USAGE' });

  const dir = t.testdir({});
  const r = await cli(['provision', 'service', 'install', '--unit-dir', dir, '--data-dir', '/var/lib/waymark-2', '--name', 'waymark-2']);
  t.equal(r.code, 0, r.stderr);
  const unit = readFileSync(join(dir, 'waymark-2.service'), 'utf8');
  t.match(unit, /^StateDirectory=waymark-2$/m);
  t.match(unit, /^EnvironmentFile=-\/etc\/waymark\/env$/m);
  t.ok(unit.includes(`ExecStart=${process.execPath} ${join(REPO, 'bin', 'waymark.js')} kiosk start`), 'starts this installation by absolute path');
  t.notMatch(unit, /WAYMARK_DATA_DIR/, "the unit does not override the config's dataDir");
  t.match(unit, /^UMask=0077$/m);
  t.throws(() => renderServiceUnit({ exec: 'waymark' }), { code: 'WAYMARK_ERR_USAGE' }, 'a relative command is refused');
  t.match(r.stdout, 'sudo systemctl daemon-reload');
  t.match(r.stdout, 'sudo systemctl enable --now waymark-2.service');
  const again = await cli(['provision', 'service', 'install', '--unit-dir', dir, '--name', 'waymark-2']);
  t.equal(again.code, 2, 'refuses to overwrite without --force');
  t.equal((await cli(['provision', 'service', 'install', '--unit-dir', dir, '--name', 'waymark-2', '--force'])).code, 0);
  t.throws(() => installService(dir, { dataDir: 'relative/dir', name: 'x' }), { code: 'WAYMARK_ERR_USAGE' });
});

t.test('every provision command has --help with flags and documents exit codes', async (t) => {
  const names = ['init', 'venue register', 'kiosk authorize', 'config write', 'config check', 'doctor', 'service install', 'bulk', 'rotate-key', 'decommission'];
  for (const name of names) {
    const r = await cli(['provision', ...name.split(' '), '--help']);
    t.equal(r.code, 0, name);
    t.match(r.stdout, `Usage: waymark provision ${name}`);
    t.match(r.stdout, '--json', `${name} has --json`);
    t.match(r.stdout, /Exit/, `${name} documents exit codes`);
  }
  const group = await cli(['provision']);
  t.equal(group.code, 2);
  t.match(group.stderr, 'provision doctor');
});
