import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  BEACON_FRAME_BYTES, beaconPublicKey, beaconSigningMessage, decodeBeaconFrame, encodeBeaconBody, epochAt,
  fromHex, GEOHASH_ALPHABET, kioskIdFromPublicKey, packGeohash, signBeaconFrame, toHex, unpackGeohash,
} from '../../../beacon/index.js';
import { isWaymarkError } from '../../../core/errors.js';
import { beaconVectorsText } from '../../vectors/generate-beacon-vectors.js';
import { vectors, vectorsFile } from './vectors.js';

const fieldsOf = (v: (typeof vectors.valid)[number]) => ({ ...v.fields, kioskId: fromHex(v.fields.kioskId) });

t.test('the vector file is what the generator makes (deterministic, up to date)', async (t) => {
  t.equal(readFileSync(vectorsFile, 'utf8'), beaconVectorsText());
});

t.test('the encoder reproduces every golden frame', async (t) => {
  for (const v of vectors.valid) {
    const frame = signBeaconFrame(fieldsOf(v), fromHex(vectors.keys[v.key].secretKey));
    t.equal(toHex(frame), v.frame, v.name);
    t.equal(toHex(beaconPublicKey(fromHex(vectors.keys[v.key].secretKey))), v.publicKey, `${v.name}: public key`);
  }
});

t.test('golden frames match the documented layout byte by byte', async (t) => {
  for (const v of vectors.valid) {
    const f = fromHex(v.frame);
    t.equal(f.length, 85, `${v.name}: 85 bytes`);
    t.equal(f[0], 0x01, 'byte 0: version 1');
    t.equal(toHex(f.subarray(1, 9)), v.fields.kioskId, 'bytes 1-8: kiosk id');
    t.equal(new DataView(f.buffer).getUint32(9, false), v.fields.epoch, 'bytes 9-12: epoch, big-endian');
    t.equal(f[13], v.fields.periodS, 'byte 13: period');
    t.equal(unpackGeohash(f.subarray(14, 20)), v.fields.geohash, 'bytes 14-19: geohash');
    t.equal((f[20] << 24) >> 24, v.fields.txPower, 'byte 20: tx power, int8');
    const message = new Uint8Array([...new TextEncoder().encode('waymark.beacon.v1'), ...f.subarray(0, 21)]);
    t.ok(ed25519.verify(f.subarray(21), message, fromHex(v.publicKey)), 'bytes 21-84: Ed25519 over "waymark.beacon.v1" || bytes 0-20');
  }
});

t.test('decode returns the fields of every golden frame', async (t) => {
  for (const v of vectors.valid) {
    const d = decodeBeaconFrame(fromHex(v.frame));
    t.same({ kioskId: toHex(d.kioskId), epoch: d.epoch, periodS: d.periodS, geohash: d.geohash, txPower: d.txPower }, v.fields, v.name);
    t.equal(d.version, 1);
    t.equal(toHex(d.bytes), v.frame);
  }
});

t.test('decode refuses malformed frames with WAYMARK_ERR_BEACON_MALFORMED', async (t) => {
  const good = fromHex(vectors.valid[0].frame);
  const cases: [string, Uint8Array][] = [
    ['short', good.slice(0, 84)],
    ['long', new Uint8Array([...good, 0])],
    ['version 0', Uint8Array.from(good, (b, i) => (i === 0 ? 0 : b))],
    ['period 0', Uint8Array.from(good, (b, i) => (i === 13 ? 0 : b))],
    ['reserved geohash bit', Uint8Array.from(good, (b, i) => (i === 19 ? b | 1 : b))],
  ];
  for (const [name, bytes] of cases) {
    t.throws(() => decodeBeaconFrame(bytes), { code: 'WAYMARK_ERR_BEACON_MALFORMED' }, name);
  }
});

t.test('geohash packing: 45 bits, left-aligned, round trip', async (t) => {
  t.equal(toHex(packGeohash('000000000')), '000000000000');
  t.equal(toHex(packGeohash('zzzzzzzzz')), 'fffffffffff8');
  // u=11010 4=00100 p=10101 r=10111 ... -> 1101 0001 0010 1011 ...
  t.equal(toHex(packGeohash('u4pruydqq')), 'd12b7d7996b0');
  t.equal(packGeohash('u00000000')[0] >> 3, 26);
  fc.assert(fc.property(fc.array(fc.constantFrom(...GEOHASH_ALPHABET), { minLength: 9, maxLength: 9 }), (chars) => {
    const g = chars.join('');
    return unpackGeohash(packGeohash(g)) === g;
  }));
  for (const bad of ['u4pruydq', 'u4pruydqqq', 'u4pruydqa', 'U4PRUYDQQ', '']) {
    t.throws(() => packGeohash(bad), RangeError, JSON.stringify(bad));
  }
});

t.test('the signed bytes and the signing message', async (t) => {
  const v = vectors.valid[0];
  const body = encodeBeaconBody(fieldsOf(v));
  t.equal(toHex(body), v.frame.slice(0, 42));
  t.equal(new TextDecoder().decode(beaconSigningMessage(body).subarray(0, 17)), vectors.signingDomain);
});

t.test('kiosk id: first 8 bytes of SHA-256(public key)', async (t) => {
  for (const k of Object.values(vectors.keys)) {
    t.equal(toHex(kioskIdFromPublicKey(fromHex(k.publicKey))), toHex(sha256(fromHex(k.publicKey)).subarray(0, 8)));
    t.equal(toHex(kioskIdFromPublicKey(fromHex(k.publicKey))), k.kioskId);
  }
});

t.test('epochAt', async (t) => {
  t.equal(epochAt(1_770_000_000, 30), 59_000_000);
  t.equal(epochAt(1_770_000_029.999, 30), 59_000_000);
  t.equal(epochAt(1_770_000_030, 30), 59_000_001);
  t.throws(() => epochAt(0, 0), RangeError);
  t.throws(() => epochAt(Number.NaN, 30), RangeError);
});

t.test('the encoder validates its arguments, naming them', async (t) => {
  const v = vectors.valid[0];
  const sk = fromHex(vectors.keys[v.key].secretKey);
  const base = fieldsOf(v);
  t.throws(() => signBeaconFrame({ ...base, kioskId: new Uint8Array(7) }, sk), /kioskId must be 8 bytes/);
  t.throws(() => signBeaconFrame({ ...base, epoch: -1 }, sk), /epoch must be a uint32/);
  t.throws(() => signBeaconFrame({ ...base, epoch: 2 ** 32 }, sk), /epoch must be a uint32/);
  t.throws(() => signBeaconFrame({ ...base, periodS: 256 }, sk), /periodS/);
  t.throws(() => signBeaconFrame({ ...base, txPower: 128 }, sk), /txPower/);
  t.throws(() => signBeaconFrame(base, new Uint8Array(31)), /secretKey must be 32 bytes/);
  t.throws(() => signBeaconFrame(base, 'key' as unknown as Uint8Array), TypeError);
});

t.test('sign then decode is the identity on fields (property)', async (t) => {
  const sk = fromHex(vectors.keys.kioskA.secretKey);
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 8, maxLength: 8 }),
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.integer({ min: 1, max: 255 }),
    fc.array(fc.constantFrom(...GEOHASH_ALPHABET), { minLength: 9, maxLength: 9 }),
    fc.integer({ min: -128, max: 127 }),
    (kioskId, epoch, periodS, gh, txPower) => {
      const geohash = gh.join('');
      const frame = signBeaconFrame({ kioskId, epoch, periodS, geohash, txPower }, sk);
      const d = decodeBeaconFrame(frame);
      return frame.length === BEACON_FRAME_BYTES && toHex(d.kioskId) === toHex(kioskId) && d.epoch === epoch
        && d.periodS === periodS && d.geohash === geohash && d.txPower === txPower;
    },
  ), { numRuns: 50 });
  t.pass('held');
});

t.test('decode errors are WaymarkErrors, argument errors are not', async (t) => {
  let caught: unknown;
  try {
    decodeBeaconFrame(new Uint8Array(3));
  } catch (err) {
    caught = err;
  }
  t.ok(isWaymarkError(caught, 'WAYMARK_ERR_BEACON_MALFORMED'));
  t.throws(() => decodeBeaconFrame('00' as unknown as Uint8Array), TypeError);
});

t.test('docs/PROTOCOL.md documents the same layout as the code and the vectors', async (t) => {
  const doc = readFileSync(new URL('../../../docs/PROTOCOL.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Beacon frames'));
  t.ok(section.length > 0 && doc.includes('## Beacon frames'), 'section present');
  const frameTable = section.slice(section.indexOf('### Frame ('), section.indexOf('### Fragments'));
  const rows = [...frameTable.matchAll(/^\| (\d+) \| (\d+) \| ([^|]+?) \|/gm)].map((m) => [Number(m[1]), Number(m[2]), m[3]]);
  t.same(rows.map((r) => [r[0], r[1]]), [[0, 1], [1, 8], [9, 4], [13, 1], [14, 6], [20, 1], [21, 64]]);
  t.equal(rows.reduce((end, r) => Math.max(end, (r[0] as number) + (r[1] as number)), 0), BEACON_FRAME_BYTES);
  // the annotated example is vector A's first 25 bytes
  const example = frameTable.slice(frameTable.indexOf('```\n') + 4, frameTable.lastIndexOf('```'));
  const hexOfLine = (line: string) => (line.match(/^((?:[0-9a-f]{2} )*[0-9a-f]{2})(?: \.\.\.)?/)?.[1] ?? '').replace(/ /g, '');
  const lines = example.split('\n').filter(Boolean);
  t.equal(lines.slice(0, 6).map(hexOfLine).join('') + hexOfLine(lines[6]), vectors.valid[0].frame.slice(0, 50));
  t.match(section, /`0xFCD1` is a \*\*placeholder\*\*/);
  t.match(section, new RegExp(vectors.signingDomain.replace(/\./g, '\\.')));
});
