import t from 'tap';
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet, SigningKey } from 'ethers';
import { cli } from '../helpers/cli.js';
import { readKeyFile, resolvePassphrase, wipeFile } from '../../provisioning/keys.js';
import { keyFileAddress } from '../../contracts/kiosk-key.js';
import { kioskFiles } from '../../core/data-dir.js';

const PASS = 'correct horse battery';

t.test('init writes an encrypted keystore 0600 that ethers decrypts, and prints no secret', async (t) => {
  const dir = t.testdir({ 'pass.txt': `${PASS}\n` });
  const dataDir = join(dir, 'data');
  const r = await cli(['provision', 'init', '--data-dir', dataDir, '--passphrase-file', join(dir, 'pass.txt'), '--json']);
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const files = kioskFiles(dataDir);
  t.equal(out.keyFile, files.keystore);
  t.equal(out.encrypted, true);
  t.equal(statSync(files.keystore).mode & 0o777, 0o600, 'keystore is 0600');
  const wallet = await Wallet.fromEncryptedJson(readFileSync(files.keystore, 'utf8'), PASS);
  t.equal(wallet.address, out.address, 'the keystore decrypts with ethers to the printed address');
  t.equal(SigningKey.computePublicKey(wallet.privateKey, false), out.publicKey);
  for (const text of [r.stdout, r.stderr]) {
    t.notMatch(text, wallet.privateKey.slice(2), 'private key never printed');
    t.notMatch(text, PASS, 'passphrase never printed');
  }
  t.equal(JSON.parse(readFileSync(files.identity, 'utf8')).address, wallet.address, 'identity recorded');

  const human = await cli(['provision', 'init', '--data-dir', join(dir, 'data2'), '--plain-key']);
  t.equal(human.code, 0);
  t.match(human.stdout, /address\s+0x[0-9a-fA-F]{40}/);
  t.match(human.stdout, /public key\s+0x04[0-9a-f]{128}/);
});

t.test('init refuses to overwrite a key without --force; --force replaces and wipes it', async (t) => {
  const dir = t.testdir({});
  const dataDir = join(dir, 'data');
  const first = await cli(['provision', 'init', '--data-dir', dataDir, '--plain-key', '--json']);
  t.equal(first.code, 0);
  const firstAddress = JSON.parse(first.stdout).address;
  const before = readFileSync(kioskFiles(dataDir).plainKey, 'utf8');

  const again = await cli(['provision', 'init', '--data-dir', dataDir, '--plain-key']);
  t.equal(again.code, 2, 'exit 2: bad input');
  t.match(again.stderr, 'WAYMARK_ERR_KEY_EXISTS');
  t.equal(readFileSync(kioskFiles(dataDir).plainKey, 'utf8'), before, 'old key untouched');

  const forced = await cli(['provision', 'init', '--data-dir', dataDir, '--force', '--json'], { env: { WAYMARK_KEY_PASSPHRASE: PASS } });
  t.equal(forced.code, 0, forced.stderr);
  const out = JSON.parse(forced.stdout);
  t.not(out.address, firstAddress, 'a new key');
  t.notOk(existsSync(kioskFiles(dataDir).plainKey), 'the old plain key is gone');
  t.equal(statSync(kioskFiles(dataDir).keystore).mode & 0o777, 0o600);
});

t.test('plain keys are 0600 hex; passphrase problems are usage errors (exit 2)', async (t) => {
  const dir = t.testdir({ short: 'abc' });
  const dataDir = join(dir, 'data');
  const r = await cli(['provision', 'init', '--data-dir', dataDir, '--plain-key', '--json']);
  t.equal(r.code, 0);
  const file = kioskFiles(dataDir).plainKey;
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.match(readFileSync(file, 'utf8'), /^0x[0-9a-f]{64}\n$/);
  t.equal((await readKeyFile(file, async () => 'unused')).address, JSON.parse(r.stdout).address);

  // no passphrase source and no terminal (the test's stdin is not a TTY)
  let bad = await cli(['provision', 'init', '--data-dir', join(dir, 'd2')]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, 'WAYMARK_ERR_KEY_PASSPHRASE');
  t.notOk(existsSync(kioskFiles(join(dir, 'd2')).keystore), 'nothing written');
  bad = await cli(['provision', 'init', '--data-dir', join(dir, 'd3'), '--passphrase-file', join(dir, 'short')]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /at least 8 characters/);
  bad = await cli(['provision', 'init', '--data-dir', join(dir, 'd4'), '--passphrase-file', join(dir, 'nope')]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, 'WAYMARK_ERR_KEY_NOT_FOUND');
  bad = await cli(['provision', 'init']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, '--data-dir is required');
});

t.test('readKeyFile: wrong passphrase, missing file, junk file, prompt source', async (t) => {
  const dir = t.testdir({ junk: 'hello' });
  const wallet = Wallet.createRandom();
  const file = join(dir, 'k.json');
  writeFileSync(file, await new Wallet(wallet.privateKey).encrypt(PASS), { mode: 0o600 });
  t.equal(keyFileAddress(file), wallet.address, 'address without the passphrase');
  await t.rejects(readKeyFile(file, async () => 'wrong passphrase'), { code: 'WAYMARK_ERR_KEY_PASSPHRASE' });
  t.equal((await readKeyFile(file, async () => PASS)).address, wallet.address);
  await t.rejects(readKeyFile(join(dir, 'missing'), async () => PASS), { code: 'WAYMARK_ERR_KEY_NOT_FOUND' });
  await t.rejects(readKeyFile(join(dir, 'junk'), async () => PASS), { code: 'WAYMARK_ERR_KEY_INVALID' });
  const asked: string[] = [];
  const prompt = async (q: string) => { asked.push(q); return PASS; };
  t.equal(await resolvePassphrase({ env: {}, envName: 'X', label: 'kiosk keystore', prompt }, { confirm: true }), PASS);
  t.equal(asked.length, 2, 'asked twice to confirm');
  let n = 0;
  await t.rejects(resolvePassphrase({ env: {}, envName: 'X', label: 'k', prompt: async () => `p${n++}xxxxxxxx` }, { confirm: true }), { code: 'WAYMARK_ERR_KEY_PASSPHRASE' });
  t.equal(await resolvePassphrase({ env: { X: 'from-env-123' }, envName: 'X', label: 'k', prompt: false }), 'from-env-123');
  wipeFile(file);
  t.notOk(existsSync(file), 'wiped');
});
