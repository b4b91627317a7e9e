import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isKiosk } from '../../contracts/actions/is-kiosk.js';
import { kioskFiles } from '../../core/data-dir.js';
import { cli } from '../helpers/cli.js';
import { startProvisioningChain, cliJson, registerTestVenue, provisionKiosk, type ProvisioningChain } from './chain.js';

const PASS = 'kiosk passphrase 1';
let chain: ProvisioningChain;
let dir: string;
let venueId: string;
t.before(async () => {
  dir = t.testdir({ 'pass.txt': `${PASS}\n`, 'wrong.txt': 'wrong passphrase\n' });
  chain = await startProvisioningChain(dir);
  venueId = await registerTestVenue(chain);
});
t.teardown(() => chain.stop());

/** A provisioned kiosk under this file's temp dir (keystore with `keystore`). */
function provision(name: string, opts: { keystore?: boolean; radio?: string } = {}) {
  return provisionKiosk(chain, { dir, venueId, name, radio: opts.radio, passphraseFile: opts.keystore ? join(dir, 'pass.txt') : undefined });
}

t.test('rotate-key: new key authorized, old one revoked on chain, files replaced', async (t) => {
  const k = await provision('kiosk-rotate', { keystore: true });
  const oldCert = readFileSync(kioskFiles(k.dataDir).certificate, 'utf8');
  const r = await cliJson(['provision', 'rotate-key', '--data-dir', k.dataDir, '--passphrase-file', join(dir, 'pass.txt'), '--operator-key', chain.operatorKeyFile, '--fund', '0.1', '--config', k.config]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.body.oldAddress, k.address);
  const next = r.body.newIdentity.address;
  t.not(next, k.address);
  t.notOk(await isKiosk(chain.reader, { venueId: BigInt(venueId), kiosk: k.address }), 'old key revoked');
  t.ok(await isKiosk(chain.reader, { venueId: BigInt(venueId), kiosk: next }), 'new key authorized');
  t.equal(JSON.parse(readFileSync(kioskFiles(k.dataDir).keystore, 'utf8')).address.toLowerCase(), next.slice(2).toLowerCase(), 'the keystore holds the new key');
  t.not(readFileSync(kioskFiles(k.dataDir).certificate, 'utf8'), oldCert, 'new certificate');
  t.notOk(existsSync(kioskFiles(k.dataDir).keystore + '.next'), 'no staged key left');
  const doctor = await cli(['provision', 'doctor', '--config', k.config, '--min-free-mb', '1']);
  t.equal(doctor.code, 0, doctor.stdout);

  const missing = await cliJson(['provision', 'rotate-key', '--data-dir', join(dir, 'empty-dir'), '--venue', venueId, '--plain-key', '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  t.equal(missing.code, 2, 'unknown flag --plain-key');
  const noKey = await cliJson(['provision', 'rotate-key', '--data-dir', join(dir, 'empty-dir'), '--venue', venueId, '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  t.equal(noKey.code, 2);
  t.equal(noKey.body.error.code, 'WAYMARK_ERR_KEY_NOT_FOUND');
});

t.test('decommission: revoked on chain, key wiped; doctor then fails', async (t) => {
  const k = await provision('kiosk-retire');
  const r = await cliJson(['provision', 'decommission', '--config', k.config, '--operator-key', chain.operatorKeyFile]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.body.kiosk, k.address);
  t.ok(r.body.revokeTxHash);
  t.notOk(await isKiosk(chain.reader, { venueId: BigInt(venueId), kiosk: k.address }));
  t.notOk(existsSync(kioskFiles(k.dataDir).plainKey), 'key file wiped');
  t.notOk(existsSync(kioskFiles(k.dataDir).certificate), 'certificate removed');
  t.ok(existsSync(join(k.dataDir, 'decommissioned.json')));
  const doctor = await cliJson(['provision', 'doctor', '--config', k.config, '--min-free-mb', '1']);
  t.equal(doctor.code, 1);
  t.match(doctor.body.checks.find((c: { name: string }) => c.name === 'key').detail, 'does not exist');
  const twice = await cliJson(['provision', 'decommission', '--config', k.config, '--operator-key', chain.operatorKeyFile]);
  t.equal(twice.code, 2, 'nothing left to decommission');
  t.equal(twice.body.error.code, 'WAYMARK_ERR_KEY_NOT_FOUND');
});
