import t from 'tap';
import type { CliIO } from '../../../cli/command.js';
import { beaconCommands, beaconEncodeCommand, beaconVerifyCommand } from '../../../cli/commands/beacon.js';
import { vectors } from './vectors.js';

function io() {
  const out = { stdout: '', stderr: '' };
  const cli: CliIO = { stdout: (s) => void (out.stdout += s), stderr: (s) => void (out.stderr += s), signal: new AbortController().signal, env: {}, cwd: '/' };
  return { out, cli };
}
const run = async (cmd: typeof beaconEncodeCommand, values: Record<string, string | boolean | string[]>) => {
  const { out, cli } = io();
  const code = await cmd.run({ values, positionals: [] }, cli);
  return { code, out };
};

const A = vectors.valid[2]; // registry-assigned kiosk id, 10 s period

t.test('exports both commands for the dispatcher', async (t) => {
  t.same(beaconCommands.map((c) => c.name), ['beacon encode', 'beacon verify']);
});

t.test('encode --json reproduces the golden vector', async (t) => {
  const { code, out } = await run(beaconEncodeCommand, {
    key: vectors.keys[A.key].secretKey, kiosk: A.fields.kioskId, geohash: A.fields.geohash,
    epoch: String(A.fields.epoch), period: String(A.fields.periodS), 'tx-power': String(A.fields.txPower), json: true,
  });
  t.equal(code, 0);
  const json = JSON.parse(out.stdout);
  t.equal(json.frame, A.frame);
  t.same(json.fragments, A.fragments);
  t.same(json.pages, A.pages);
  t.equal(json.extended, A.extended);
  t.equal(json.publicKey, A.publicKey);
  t.equal(json.kiosk, A.fields.kioskId);
});

t.test('encode defaults: kiosk id from the key, epoch from --now', async (t) => {
  const v = vectors.valid[0];
  const { out } = await run(beaconEncodeCommand, { key: vectors.keys.kioskA.secretKey, geohash: v.fields.geohash, now: String(v.acceptedAt[0].now), json: true });
  t.equal(JSON.parse(out.stdout).frame, v.frame);
  const text = await run(beaconEncodeCommand, { key: vectors.keys.kioskA.secretKey, geohash: v.fields.geohash, now: String(v.acceptedAt[0].now) });
  t.match(text.out.stdout, /fragment 3 {2}34c0/);
});

t.test('verify: fragments, AD bytes, whole frame -> valid, exit 0', async (t) => {
  const now = String(A.acceptedAt[0].now);
  for (const frames of [[A.fragments.join(',')], [...A.fragments].reverse(), [A.pages[0].advertisement, A.pages[0].scanResponse, A.pages[1].advertisement + ',' + A.pages[1].scanResponse], [A.frame], [A.extended]]) {
    const { code, out } = await run(beaconVerifyCommand, { pubkey: A.publicKey, frames, now, json: true });
    t.equal(code, 0);
    t.match(JSON.parse(out.stdout), { valid: true, kiosk: A.fields.kioskId, geohash: A.fields.geohash, epoch: A.fields.epoch, epochSkew: 0 });
  }
});

t.test('verify: every invalid golden vector -> valid false with its code, exit 1', async (t) => {
  for (const v of vectors.invalid) {
    const items = v.frame !== undefined ? [v.frame] : v.fragments!;
    // the CLI needs at least one item, and an 85-byte item means a whole frame
    if (items.length === 0 || items.every((h) => h === '')) continue;
    const { code, out } = await run(beaconVerifyCommand, { pubkey: v.publicKey, frames: [items.join(',')], now: String(v.now), json: true });
    const json = JSON.parse(out.stdout);
    t.same([code, json.valid, json.error], [1, false, v.error], v.name);
  }
});

t.test('verify text output and --rssi', async (t) => {
  const { code, out } = await run(beaconVerifyCommand, { pubkey: A.publicKey, frames: [A.frame], now: String(A.acceptedAt[0].now), rssi: '-71' });
  t.equal(code, 0);
  t.match(out.stdout, /^valid: kiosk 0102030405060708 at gcpvj0duq/);
  const j = await run(beaconVerifyCommand, { pubkey: A.publicKey, frames: [A.frame], now: String(A.acceptedAt[0].now), rssi: '-71', json: true });
  t.equal(JSON.parse(j.out.stdout).rssi, -71);
});

t.test('bad usage throws WAYMARK_ERR_USAGE (exit 2 through the dispatcher)', async (t) => {
  const key = vectors.keys.kioskA.secretKey;
  const cases: [typeof beaconEncodeCommand, Record<string, string | boolean | string[]>][] = [
    [beaconEncodeCommand, { geohash: 'u4pruydqq' }],
    [beaconEncodeCommand, { key: 'zz', geohash: 'u4pruydqq' }],
    [beaconEncodeCommand, { key: key.slice(2), geohash: 'u4pruydqq' }],
    [beaconEncodeCommand, { key, geohash: 'u4pruydqa' }],
    [beaconEncodeCommand, { key, geohash: 'u4pruydqq', period: '0' }],
    [beaconEncodeCommand, { key, geohash: 'u4pruydqq', epoch: '1.5' }],
    [beaconEncodeCommand, { key, geohash: 'u4pruydqq', kiosk: '0102' }],
    [beaconVerifyCommand, { frames: [A.frame] }],
    [beaconVerifyCommand, { pubkey: A.publicKey }],
    [beaconVerifyCommand, { pubkey: A.publicKey, frames: ['xyz'] }],
    [beaconVerifyCommand, { pubkey: A.publicKey, frames: [A.frame, A.fragments[0]] }],
    [beaconVerifyCommand, { pubkey: A.publicKey, frames: [A.frame], now: 'soon' }],
  ];
  for (const [cmd, values] of cases) {
    await t.rejects(run(cmd, values), { code: 'WAYMARK_ERR_USAGE' }, JSON.stringify(values));
  }
});
