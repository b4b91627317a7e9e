/** cli/flags.ts: one reader for every command's flags, one error code, one wording. */
import t, { type Test } from 'tap';
import {
  addressFlag, booleanFlag, choiceFlag, hexFlag, intFlag, numberFlag, parseHex, positiveNumberFlag, stringFlag, stringsFlag, urlFlag, usage, wholeNumberText,
} from '../../../cli/flags.js';
import { WaymarkError } from '../../../core/errors.js';

/** The usage error `fn` throws: code, exit-2 status, the flag in its details. */
function refused(t: Test, fn: () => unknown, message: string | RegExp, field?: string): void {
  try {
    fn();
    t.fail(`accepted; expected: ${message}`);
  } catch (err) {
    t.ok(err instanceof WaymarkError, String(err));
    const e = err as WaymarkError;
    t.equal(e.code, 'WAYMARK_ERR_USAGE');
    t.equal(e.statusCode, 400, 'a 4xx code: exit 2 through the dispatcher');
    t.match(e.message, message);
    if (field) t.same(e.details, { field });
  }
}

t.test('strings: absent and empty are undefined; required names the flag and its placeholder', async (t) => {
  t.equal(stringFlag({ a: 'x' }, 'a'), 'x');
  t.equal(stringFlag({}, 'a'), undefined);
  t.equal(stringFlag({ a: '' }, 'a'), undefined);
  refused(t, () => stringFlag({}, 'link', { required: 'PATH' }), 'Bad usage: --link PATH is required', 'link');
  refused(t, () => stringFlag({ csv: '' }, 'csv', { required: true }), /--csv is required$/, 'csv');
  refused(t, () => stringFlag({ a: true }, 'a'), '--a takes one value');
  t.same(stringsFlag({}, 'pubkey'), []);
  t.same(stringsFlag({ pubkey: 'a' }, 'pubkey'), ['a']);
  t.same(stringsFlag({ pubkey: ['a', 'b'] }, 'pubkey'), ['a', 'b']);
  t.equal(booleanFlag({ json: true }, 'json'), true);
  t.equal(booleanFlag({}, 'json'), false);
});

t.test('whole numbers within a range', async (t) => {
  t.equal(intFlag({ port: '8080' }, 'port', { min: 0, max: 65535 }), 8080);
  t.equal(intFlag({ p: '-45' }, 'p', { min: -128, max: 127 }), -45);
  t.equal(intFlag({}, 'port', { min: 0, max: 65535 }), undefined);
  for (const bad of ['70000', 'x', '1.5', '1e3', '', ' ', '0x10', '-1']) {
    refused(t, () => intFlag({ port: bad }, 'port', { min: 0, max: 65535 }), `--port must be a whole number from 0 to 65535, got '${bad}'`, 'port');
  }
  refused(t, () => intFlag({}, 'seed', { min: 0, max: 9, required: true }), '--seed is required');
});

t.test('numbers: finite decimals, bounds worded the same everywhere', async (t) => {
  t.equal(numberFlag({ n: '2.5' }, 'n'), 2.5);
  t.equal(numberFlag({ n: '-71' }, 'n'), -71);
  t.equal(numberFlag({ n: '1e3' }, 'n'), 1000);
  t.equal(numberFlag({}, 'n'), undefined);
  for (const bad of ['fast', '', 'Infinity', 'NaN', '0x10', '1,5']) refused(t, () => numberFlag({ n: bad }, 'n'), `--n must be a number, got '${bad}'`, 'n');
  refused(t, () => numberFlag({ speed: '0' }, 'speed', { above: 0, max: 10_000 }), "--speed must be a number above 0 and at most 10000, got '0'");
  refused(t, () => numberFlag({ speed: '10001' }, 'speed', { above: 0, max: 10_000 }), 'at most 10000');
  t.equal(numberFlag({ speed: '10000' }, 'speed', { above: 0, max: 10_000 }), 10_000);
  refused(t, () => numberFlag({ e: '-1' }, 'e', { min: 0, unit: 'seconds' }), "--e must be a number of at least 0 (seconds), got '-1'");
  refused(t, () => numberFlag({ r: '6' }, 'r', { min: 1, max: 5 }), "--r must be a number from 1 to 5, got '6'");
  t.equal(positiveNumberFlag({ d: '0.5' }, 'd'), 0.5);
  for (const bad of ['0', '-1', 'x']) refused(t, () => positiveNumberFlag({ d: bad }, 'd', { unit: 'seconds' }), `--d must be a positive number (seconds), got '${bad}'`);
  refused(t, () => positiveNumberFlag({ d: '9' }, 'd', { max: 5 }), "--d must be a number above 0 and at most 5, got '9'");
});

t.test('choices, URLs, addresses', async (t) => {
  t.equal(choiceFlag({ radio: 'hci' }, 'radio', ['hci', 'serial']), 'hci');
  refused(t, () => choiceFlag({ radio: 'wifi' }, 'radio', ['hci', 'serial']), "--radio must be hci or serial, got 'wifi'", 'radio');
  refused(t, () => choiceFlag({ r: 'x' }, 'r', ['a', 'b', 'c']), "--r must be one of a, b, c, got 'x'");
  t.equal(urlFlag({ rpc: 'http://127.0.0.1:8545' }, 'rpc'), 'http://127.0.0.1:8545');
  t.equal(urlFlag({ rpc: 'https://rpc.example/v1?k=1' }, 'rpc'), 'https://rpc.example/v1?k=1');
  for (const bad of ['localhost:8545', 'ftp://x', 'http://a b', 'nope']) refused(t, () => urlFlag({ rpc: bad }, 'rpc'), `--rpc must be an http(s) URL, got '${bad}'`);
  refused(t, () => urlFlag({}, 'rpc', { required: 'URL' }), '--rpc URL is required');
  const address = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
  t.equal(addressFlag({ registry: address }, 'registry'), address);
  refused(t, () => addressFlag({ registry: '0x1234' }, 'registry'), "--registry must be an address (0x and 40 hex digits), got '0x1234'");
});

t.test('hex: exact byte counts, 0x allowed, items of multiple flags labelled', async (t) => {
  t.same([...hexFlag({ kiosk: '0102030405060708' }, 'kiosk', { bytes: 8 })!], [1, 2, 3, 4, 5, 6, 7, 8]);
  t.same([...hexFlag({ kiosk: '0xFF00FF00FF00FF00' }, 'kiosk', { bytes: 8 })!], [255, 0, 255, 0, 255, 0, 255, 0]);
  t.equal(hexFlag({}, 'kiosk', { bytes: 8 }), undefined);
  refused(t, () => hexFlag({ pubkey: 'abcd' }, 'pubkey', { bytes: 32 }), "--pubkey must be 64 hex digits (32 bytes), got 'abcd'", 'pubkey');
  refused(t, () => hexFlag({ key: 'zz' }, 'key', { bytes: 1 }), "--key must be 2 hex digits (1 bytes), got 'zz'");
  refused(t, () => hexFlag({}, 'key', { bytes: 32, required: true }), '--key is required');
  t.same([...parseHex('--frames item 0', 'a0b1')], [0xa0, 0xb1]);
  refused(t, () => parseHex('--frames item 2', 'abc'), "--frames item 2 must be hex digits (an even number of them), got 'abc'", 'frames');
});

t.test('wholeNumberText: digits or NaN, for checks that name their own error', async (t) => {
  t.equal(wholeNumberText({ capacity: ' 120 ' }, 'capacity', { required: true }), 120);
  for (const bad of ['12.5', '-3', 'many', '1e3']) t.ok(Number.isNaN(wholeNumberText({ capacity: bad }, 'capacity', { required: true })), bad);
  refused(t, () => wholeNumberText({}, 'capacity', { required: 'N' }), '--capacity N is required');
});

t.test('usage() is the same error for rules between flags', async (t) => {
  refused(t, () => usage('--rpc and --no-chain exclude each other', 'rpc'), 'Bad usage: --rpc and --no-chain exclude each other', 'rpc');
});

t.test('no command keeps a flag parser of its own', async (t) => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const dir = new URL('../../../cli/commands/', import.meta.url);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'index.ts')) {
    const source = readFileSync(new URL(file, dir), 'utf8');
    t.notMatch(source, /function \w*(Flag|Number|str|need)\w*\(values/, `${file} declares no flag helper`);
    t.notMatch(source, /from '\.\/(demo|replay)\.js'/, `${file} imports no helper from another command`);
    t.notMatch(source, /'WAYMARK_ERR_USAGE'/, `${file} raises usage errors through cli/flags.ts`);
  }
});
