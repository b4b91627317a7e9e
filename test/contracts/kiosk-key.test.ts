/**
 * The one kiosk key loader (contracts/kiosk-key.ts): the daemon's path (chain.keyFile and
 * chain.passphraseFile, `waymark chain deploy --key-file`) and provisioning's
 * (readKeyFile with a passphrase source or a prompt) fail with the same codes.
 */
import t from 'tap';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet, encryptKeystoreJson } from 'ethers';
import { parseConfig } from '../../core/config.js';
import { ENV } from '../../core/paths.js';
import { loadKioskKey } from '../../contracts/kiosk-key.js';
import { loadConfiguredKioskKey } from '../../kiosk/batcher/kiosk-anchoring.js';
import { readKeyFile, type PassphraseSource } from '../../provisioning/keys.js';
import { cli } from '../helpers/cli.js';

const PASS = 'kiosk passphrase 1';
const WRONG = 'not-the-secret 42';
const wallet = Wallet.createRandom();

async function fixture(t: { testdir(files: Record<string, string>): string }) {
  // a cheap scrypt: the loader does not care about the cost parameters
  const keystore = await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, PASS, { scrypt: { N: 1 << 10 } });
  const dir = t.testdir({ 'kiosk-key.json': keystore, 'pass.txt': `${PASS}\n`, 'wrong.txt': `${WRONG}\n`, junk: 'hello', 'loose.hex': `${wallet.privateKey}\n` });
  chmodSync(join(dir, 'kiosk-key.json'), 0o600);
  chmodSync(join(dir, 'loose.hex'), 0o644);
  const keyFile = join(dir, 'kiosk-key.json');
  /** The daemon: what `waymark kiosk start` does with the config's chain section. */
  const daemon = (chain: { keyFile?: string; passphraseFile?: string }, env: NodeJS.ProcessEnv = {}) =>
    loadConfiguredKioskKey(parseConfig({ dataDir: dir, chain }), env);
  /** Provisioning: `waymark provision doctor` and friends, no terminal to ask on. */
  const provisioning = (path: string, file?: string, env: NodeJS.ProcessEnv = {}) => {
    const source: PassphraseSource = { file, env, envName: ENV.KEY_PASSPHRASE, label: 'kiosk keystore', prompt: false };
    return readKeyFile(path, source);
  };
  return { dir, keyFile, daemon, provisioning, file: (name: string) => join(dir, name) };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

t.test('a wrong passphrase is WAYMARK_ERR_KEY_PASSPHRASE for the daemon and for provisioning', async (t) => {
  const f = await fixture(t);
  const daemonFile = await codeOf(f.daemon({ passphraseFile: f.file('wrong.txt') }));
  const daemonEnv = await codeOf(f.daemon({}, { [ENV.KEY_PASSPHRASE]: WRONG }));
  const provisioningFile = await codeOf(f.provisioning(f.keyFile, f.file('wrong.txt')));
  const provisioningEnv = await codeOf(f.provisioning(f.keyFile, undefined, { [ENV.KEY_PASSPHRASE]: WRONG }));
  const provisioningPrompt = await codeOf(readKeyFile(f.keyFile, async () => WRONG));
  t.equal(daemonFile, 'WAYMARK_ERR_KEY_PASSPHRASE', 'daemon, chain.passphraseFile');
  t.same([daemonEnv, provisioningFile, provisioningEnv, provisioningPrompt], [daemonFile, daemonFile, daemonFile, daemonFile], 'one code for one mistake');
  await t.rejects(f.daemon({ passphraseFile: f.file('wrong.txt') }), { message: /wrong passphrase for/, details: { reason: 'wrong' } });

  const deploy = await cli(['chain', 'deploy', '--rpc', 'http://127.0.0.1:9', '--key-file', f.keyFile, '--passphrase-file', f.file('wrong.txt'), '--json']);
  t.equal(deploy.code, 2, '`chain deploy --key-file` refuses before it dials the node');
  t.match(deploy.stderr, 'WAYMARK_ERR_KEY_PASSPHRASE');
  t.notMatch(deploy.stdout + deploy.stderr, WRONG, 'the passphrase is not echoed');
});

t.test('missing passphrase, missing passphrase file, junk key: the same codes on both sides', async (t) => {
  const f = await fixture(t);
  const cases: [string, () => Promise<unknown>, () => Promise<unknown>, string][] = [
    ['no passphrase anywhere', () => f.daemon({}), () => f.provisioning(f.keyFile), 'WAYMARK_ERR_KEY_PASSPHRASE'],
    ['passphrase file missing', () => f.daemon({ passphraseFile: f.file('nope') }), () => f.provisioning(f.keyFile, f.file('nope')), 'WAYMARK_ERR_KEY_NOT_FOUND'],
    ['not a key', () => f.daemon({ keyFile: f.file('junk') }), () => f.provisioning(f.file('junk')), 'WAYMARK_ERR_KEY_INVALID'],
    // the daemon skips a key file that is not there; `chain deploy --key-file` does not
    ['key file missing', () => loadKioskKey({ keyFile: f.file('missing'), env: {} }), () => f.provisioning(f.file('missing'), f.file('pass.txt')), 'WAYMARK_ERR_KEY_NOT_FOUND'],
  ];
  for (const [what, daemon, provisioning, code] of cases) {
    t.equal(await codeOf(daemon()), code, `daemon: ${what}`);
    t.equal(await codeOf(provisioning()), code, `provisioning: ${what}`);
  }
  await t.rejects(f.daemon({}), { message: /no passphrase for the kiosk keystore.*chain\.passphraseFile.*WAYMARK_KEY_PASSPHRASE/ });
});

t.test('the right passphrase opens the same key on both sides; a loose hex key warns', async (t) => {
  const f = await fixture(t);
  const daemon = await f.daemon({ passphraseFile: f.file('pass.txt') });
  t.match(daemon, { address: wallet.address, privateKey: wallet.privateKey, format: 'keystore', warnings: [] });
  t.equal((await f.provisioning(f.keyFile, f.file('pass.txt'))).address, wallet.address);
  t.equal((await readKeyFile(f.keyFile, async () => PASS)).address, wallet.address);
  t.equal(await f.daemon({ keyFile: f.file('none.json') }), undefined, 'no key file yet: no key, no error');

  const loose = (await f.daemon({ keyFile: f.file('loose.hex') }))!;
  t.equal(loose.format, 'hex');
  t.equal(loose.address, wallet.address);
  if (process.platform !== 'win32') t.match(loose.warnings, [/readable by group or others/]);
  writeFileSync(f.file('tight.hex'), wallet.privateKey, { mode: 0o600 });
  t.same((await f.daemon({ keyFile: f.file('tight.hex') }))!.warnings, []);
});
