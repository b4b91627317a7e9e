/**
 * Every fuzz property of test/fuzz/, a few dozen inputs each with a fixed seed, so `npm test`
 * keeps them compiling and holding; `npm run fuzz` runs the million.
 */
import t from 'tap';
import { parseConfig } from '../../core/config.js';
import { parseWallet, VISITOR_WALLET_FORMAT } from '../../beacon/visitor/wallet.js';
import { checkFuzzProperty } from './harness.js';
import { FUZZ_PROPERTIES } from './index.js';

const SEED = 0x5eed;
/** A quarter of a percent of each property's share, at least 25 inputs. */
const quickRuns = (runs: number) => Math.max(25, Math.round(runs / 400));

for (const p of FUZZ_PROPERTIES) {
  t.test(p.name, async (t) => {
    const outcome = await checkFuzzProperty(p, quickRuns(p.runs), SEED);
    t.equal(outcome.failure, undefined, outcome.failure ?? `${outcome.runs} inputs held (seed ${SEED})`);
  });
}

// Counterexamples the fuzzer found, kept as plain tests.
t.test('a config section that is not an object, with its env override set, is refused by name', async (t) => {
  for (const [section, env] of [['http', 'WAYMARK_HTTP_PORT'], ['radio', 'WAYMARK_SERIAL_PORT'], ['radio', 'WAYMARK_HCI_DEVICE'], ['chain', 'WAYMARK_RPC_URL']]) {
    for (const value of [0, null, 'x', true]) {
      t.throws(() => parseConfig({ [section]: value }, { [env]: '1' }), { code: 'WAYMARK_ERR_CONFIG_INVALID', message: new RegExp(`${section}:`) }, `${section}: ${JSON.stringify(value)}`);
    }
  }
});

t.test('a visitor wallet whose entries are not entries is refused', async (t) => {
  for (const entries of [[false], [null], [{}], [{ kioskUrl: 'http://k', attestation: { id: 1 } }], [{ kioskUrl: 'http://k', attestation: { id: '0x1' } }]]) {
    t.throws(() => parseWallet(JSON.stringify({ format: VISITOR_WALLET_FORMAT, entries })), { code: 'WAYMARK_ERR_FILE_FORMAT' }, JSON.stringify(entries));
  }
});
