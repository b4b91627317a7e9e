import t from 'tap';
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { revokeKiosk } from '../../contracts/actions/revoke-kiosk.js';
import { registryClient } from '../../contracts/client.js';
import { kioskFiles } from '../../core/data-dir.js';
import { runDoctor } from '../../provisioning/doctor.js';
import { SimulatedFirmware, firmwareBinding } from '../../sim/firmware.js';
import { MockBinding } from '../../sim/mock-binding.js';
import { cli } from '../helpers/cli.js';
import { startProvisioningChain, cliJson, registerTestVenue, provisionKiosk, type ProvisioningChain } from './chain.js';
import { probeRadio } from '../../cli/radio.js';

const PASS = 'kiosk passphrase 1';
let chain: ProvisioningChain;
let dir: string;
let venueId: string;
let keystoreKiosk: { dataDir: string; config: string; address: string };
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

t.test('doctor passes every check on a provisioned kiosk (keystore, simulated radio)', async (t) => {
  const k = await provision('kiosk-ok', { keystore: true });
  const r = await cli(['provision', 'doctor', '--config', k.config, '--min-free-mb', '1']);
  t.equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.trim().split('\n');
  for (const name of ['config', 'key', 'data-dir', 'store', 'radio', 'clock', 'chain', 'venue', 'authorization', 'certificate', 'gas']) {
    t.ok(lines.some((l) => l.startsWith(`PASS  ${name} `)), `${name} passes`);
  }
  t.match(r.stdout, 'all 11 checks passed');
  t.notMatch(r.stdout + r.stderr, PASS, 'the passphrase is never printed');
  keystoreKiosk = k;
});

t.test('doctor fails a revoked kiosk and says why', async (t) => {
  const k = await provision('kiosk-revoked');
  await revokeKiosk(registryClient(chain.operator, chain.registry), { venueId: BigInt(venueId), kiosk: k.address });
  const r = await cliJson(['provision', 'doctor', '--config', k.config, '--min-free-mb', '1']);
  t.equal(r.code, 1);
  const auth = r.body.checks.find((c: { name: string }) => c.name === 'authorization');
  t.equal(auth.ok, false);
  t.match(auth.detail, /REVOKED for venue \d+ in block \d+/);
  t.match(auth.fix, /re-authorize|new key/);
  const human = await cli(['provision', 'doctor', '--config', k.config, '--min-free-mb', '1']);
  t.match(human.stdout, /^FAIL  authorization .*REVOKED/m);
  t.match(human.stdout, /fix: /);
  t.match(human.stdout, '1 of 11 checks failed: authorization');
});

t.test('doctor: wrong passphrase, missing key, loose permissions, no gas, skewed clock', async (t) => {
  // the keystore kiosk of the first test, with the passphrase now from a wrong environment
  const cfg = JSON.parse(readFileSync(keystoreKiosk.config, 'utf8'));
  delete cfg.chain.passphraseFile;
  const wrongConfig = join(dir, 'wrong-passphrase.json');
  writeFileSync(wrongConfig, JSON.stringify(cfg));
  let report = await runDoctor({ configPath: wrongConfig, env: { WAYMARK_KEY_PASSPHRASE: 'wrong passphrase' }, minFreeBytes: 1, prompt: false, probeRadio });
  const byName = (name: string) => report.checks.find((c) => c.name === name)!;
  t.equal(report.ok, false);
  t.match(byName('key').detail, 'wrong passphrase');
  t.equal(byName('authorization').skipped, true, 'checks that need the key are skipped');
  t.equal(byName('chain').ok, true, 'independent checks still run');

  report = await runDoctor({ configPath: wrongConfig, env: {}, minFreeBytes: 1, prompt: false, probeRadio });
  t.match(byName('key').detail, 'no passphrase for the kiosk keystore', 'no passphrase and no terminal');

  const k = await provision('kiosk-bad');
  report = await runDoctor({ configPath: k.config, env: {}, minFreeBytes: 1, minBalanceWei: 10n ** 18n, now: () => Date.now() + 3_600_000, probeRadio });
  t.equal(byName('key').ok, true);
  t.match(byName('gas').detail, 'below 1.0');
  t.match(byName('clock').detail, /the clock is 360[01] s off the chain node's/);

  chmodSync(kioskFiles(k.dataDir).plainKey, 0o644);
  report = await runDoctor({ configPath: k.config, env: {}, minFreeBytes: 1, probeRadio });
  t.match(byName('key').detail, 'mode 0644');
  t.match(byName('key').fix, 'chmod 600');

  const r = await cliJson(['provision', 'doctor', '--config', join(dir, 'no-such-config.json')]);
  t.equal(r.code, 1);
  t.equal(r.body.checks[0].ok, false);
  t.match(r.body.checks[0].detail, 'WAYMARK_ERR_CONFIG_NOT_FOUND');
});

t.test('doctor: the serial radio check does the bridge handshake', async (t) => {
  const k = await provision('kiosk-serial', { radio: 'serial' });
  const path = '/dev/ttyWAYMARK-doctor';
  const cfg = JSON.parse(readFileSync(k.config, 'utf8'));
  cfg.radio.serialPort = path;
  writeFileSync(k.config, JSON.stringify(cfg));
  MockBinding.createPort(path);
  t.teardown(() => MockBinding.reset());
  const report = await runDoctor({ configPath: k.config, env: {}, minFreeBytes: 1, serialBinding: firmwareBinding(new SimulatedFirmware()) });
  const radio = report.checks.find((c) => c.name === 'radio')!;
  t.equal(radio.ok, true, radio.detail);
  t.match(radio.detail, /serial bridge .*firmware \d+\.\d+\.\d+/);
  cfg.radio.serialPort = '/dev/ttyNOPE';
  writeFileSync(k.config, JSON.stringify(cfg));
  const unplugged = await runDoctor({ configPath: k.config, env: {}, minFreeBytes: 1, serialBinding: MockBinding as never });
  const r2 = unplugged.checks.find((c) => c.name === 'radio')!;
  t.equal(r2.ok, false);
  t.match(r2.detail, 'WAYMARK_ERR_RADIO_UNAVAILABLE');
  t.match(r2.fix, 'dialout');
});

