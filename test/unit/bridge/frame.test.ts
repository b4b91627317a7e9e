import t from 'tap';
import { isWaymarkError } from '../../../core/errors.js';
import {
  cobsDecode,
  cobsEncode,
  crc16,
  decodeFrame,
  encodeFrame,
  FrameType,
  MAX_ENCODED_LENGTH,
  MAX_PAYLOAD_LENGTH,
  packFrame,
  unpackFrame,
  type Frame,
} from '../../../firmware-bridge/protocol/frame.js';
import { FrameParser } from '../../../firmware-bridge/protocol/parser.js';
import { decodeStruct, encodeStruct, decodeResponse, encodeResponse } from '../../../firmware-bridge/protocol/commands.js';

/** Bit-at-a-time CRC-16/CCITT-FALSE, written independently of the table-driven one. */
function crcReference(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let k = 0; k < 8; k++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

t.test('CRC-16/CCITT-FALSE check value and reference agreement', async (t) => {
  t.equal(crc16(new TextEncoder().encode('123456789')), 0x29b1);
  t.equal(crc16(new Uint8Array(0)), 0xffff);
  const r = rng(7);
  for (let n = 0; n < 200; n++) {
    const data = Uint8Array.from({ length: r() % 300 }, () => r() & 0xff);
    t.equal(crc16(data), crcReference(data));
  }
});

t.test('COBS known encodings (Cheshire & Baker examples)', async (t) => {
  const cases: [number[], number[]][] = [
    [[], [0x01]],
    [[0x00], [0x01, 0x01]],
    [[0x00, 0x00], [0x01, 0x01, 0x01]],
    [[0x11, 0x22, 0x00, 0x33], [0x03, 0x11, 0x22, 0x02, 0x33]],
    [[0x11, 0x22, 0x33, 0x44], [0x05, 0x11, 0x22, 0x33, 0x44]],
    [[0x11, 0x00, 0x00, 0x00], [0x02, 0x11, 0x01, 0x01, 0x01]],
  ];
  for (const [raw, enc] of cases) {
    t.same([...cobsEncode(Uint8Array.from(raw))], enc, `encode ${raw}`);
    t.same([...cobsDecode(Uint8Array.from(enc))], raw, `decode ${enc}`);
  }
  // 254 non-zero bytes: one full block, then an empty closing block.
  const full = Uint8Array.from({ length: 254 }, (_, i) => i + 1);
  const enc = cobsEncode(full);
  t.equal(enc[0], 0xff);
  t.equal(enc.length, 256);
  t.same(cobsDecode(enc), full);
});

t.test('COBS round trip: no zero in the output, sizes within the bound', async (t) => {
  const r = rng(99);
  for (let n = 0; n < 500; n++) {
    const len = r() % 700;
    const zeroEvery = 1 + (r() % 300);
    const data = Uint8Array.from({ length: len }, () => (r() % zeroEvery === 0 ? 0 : r() & 0xff));
    const enc = cobsEncode(data);
    t.notOk(enc.includes(0), 'no zero byte');
    t.ok(enc.length <= len + Math.ceil(len / 254) + 1);
    t.same(cobsDecode(enc), data);
  }
});

t.test('frame round trip, including the largest payload', async (t) => {
  const frames: Frame[] = [
    { version: 1, type: FrameType.REQUEST, seq: 1, id: 0x01, payload: Uint8Array.of(1, 1) },
    { version: 1, type: FrameType.EVENT, seq: 0xffff, id: 0x81, payload: new Uint8Array(0) },
    { version: 7, type: FrameType.ERROR, seq: 0x1234, id: 0x20, payload: new Uint8Array(MAX_PAYLOAD_LENGTH) },
    { version: 1, type: FrameType.RESPONSE, seq: 300, id: 0x03, payload: Uint8Array.from({ length: MAX_PAYLOAD_LENGTH }, (_, i) => i & 0xff) },
  ];
  for (const f of frames) {
    const wire = encodeFrame(f);
    t.equal(wire[0], 0);
    t.equal(wire[wire.length - 1], 0);
    t.notOk(wire.subarray(1, -1).includes(0));
    t.ok(wire.length - 2 <= MAX_ENCODED_LENGTH);
    t.same(decodeFrame(wire), f);
    t.same(unpackFrame(packFrame(f)), f);
  }
});

t.test('the largest frame fits the parser exactly', async (t) => {
  const f: Frame = { version: 1, type: FrameType.EVENT, seq: 0x4141, id: 0x41, payload: new Uint8Array(MAX_PAYLOAD_LENGTH).fill(0x41) };
  const wire = encodeFrame(f);
  t.equal(wire.length - 2, MAX_ENCODED_LENGTH, 'worst case is exactly the limit');
  t.same(new FrameParser().push(wire), [f]);
});

t.test('packFrame validates its arguments', async (t) => {
  const ok: Frame = { version: 1, type: FrameType.REQUEST, seq: 1, id: 1, payload: new Uint8Array(0) };
  t.throws(() => packFrame({ ...ok, payload: new Uint8Array(MAX_PAYLOAD_LENGTH + 1) }), RangeError);
  t.throws(() => packFrame({ ...ok, seq: 0x10000 }), RangeError);
  t.throws(() => packFrame({ ...ok, id: -1 }), RangeError);
  t.throws(() => packFrame({ ...ok, type: 9 as never }), RangeError);
});

t.test('decodeFrame throws WAYMARK_ERR_SERIAL_FRAME with a reason', async (t) => {
  const wire = encodeFrame({ version: 1, type: FrameType.REQUEST, seq: 2, id: 2, payload: Uint8Array.of(9) });
  const flipped = wire.slice();
  flipped[4] ^= 0x40;
  const expect = (bytes: Uint8Array, reason: string) => {
    try {
      decodeFrame(bytes);
      t.fail(`expected ${reason}`);
    } catch (err) {
      t.ok(isWaymarkError(err, 'WAYMARK_ERR_SERIAL_FRAME'), String(err));
      t.equal((err as { details?: { reason?: string } }).details?.reason, reason);
    }
  };
  expect(flipped, 'crc');
  expect(Uint8Array.of(0, 3, 1, 1, 0), 'short');
  expect(Uint8Array.of(0, 9, 1, 0), 'cobs');
  expect(new Uint8Array(MAX_ENCODED_LENGTH + 1).fill(1), 'oversized');
});

t.test('struct codec: round trip, trailing bytes ignored, short payload rejected', async (t) => {
  const fields = [['a', 'u8'], ['b', 'i8'], ['c', 'u16'], ['d', 'u32'], ['e', 'bool'], ['f', 'address'], ['g', 'bytes8'], ['h', 'bytes16'], ['i', 'str8']] as const;
  const value = { a: 255, b: -128, c: 0xbeef, d: 0xdeadbeef, e: true, f: Uint8Array.of(1, 2, 3, 4, 5, 6), g: Uint8Array.of(7), h: new Uint8Array(300), i: 'café' };
  const bytes = encodeStruct(fields, value);
  t.same(decodeStruct(fields, bytes), value);
  t.same(decodeStruct(fields, Uint8Array.of(...bytes, 0xaa, 0xbb)), value, 'later versions may append fields');
  t.throws(() => decodeStruct(fields, bytes.subarray(0, bytes.length - 1)), { code: 'WAYMARK_ERR_SERIAL_PAYLOAD' });
  t.throws(() => encodeStruct(fields, { ...value, a: 256 }), RangeError);
  t.throws(() => encodeStruct(fields, { ...value, f: Uint8Array.of(1) }), RangeError);
  t.throws(() => encodeStruct(fields, { ...value, g: new Uint8Array(256) }), RangeError);
  t.throws(() => encodeStruct(fields, { ...value, i: 3 as never }), TypeError);
  const hello = { protocolVersion: 1, firmwareMajor: 0, firmwareMinor: 9, firmwarePatch: 1, capabilities: 3, maxAdvDataLength: 251, maxPayloadLength: 2048 };
  t.same(decodeResponse('HELLO', encodeResponse('HELLO', hello)), hello);
});
