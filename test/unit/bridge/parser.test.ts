import t from 'tap';
import { FrameParser, FrameParserStream } from '../../../firmware-bridge/protocol/parser.js';
import { FrameType, MAX_ENCODED_LENGTH, type Frame } from '../../../firmware-bridge/protocol/frame.js';

// PING request, seq 2. Decoded: 01 (version) 01 (request) 02 00 (seq 2, LE) 02 (PING)
// 00 00 (payload length 0) ec 26 (CRC-16/CCITT-FALSE 0x26ec, LE). On the wire:
const PING = Uint8Array.from([
  0x00, //                    delimiter: ends whatever came before
  0x04, 0x01, 0x01, 0x02, //  COBS code 4: 01 01 02, then a zero (seq high byte)
  0x02, 0x02, //              code 2: 02 (PING), then a zero (length low byte)
  0x01, //                    code 1: a zero (length high byte)
  0x03, 0xec, 0x26, //        code 3: ec 26 (CRC), end of frame
  0x00, //                    delimiter
]);
const PING_FRAME: Frame = { version: 1, type: FrameType.REQUEST, seq: 2, id: 0x02, payload: new Uint8Array(0) };

// PONG: PING response, seq 2, payload uptimeMs = 65536 (00 00 01 00). Decoded:
// 01 02 02 00 02 04 00 | 00 00 01 00 | d8 41
const PONG = Uint8Array.from([
  0x00, //                    delimiter
  0x04, 0x01, 0x02, 0x02, //  01 02 02 | 0 (version, response, seq 2)
  0x03, 0x02, 0x04, //        02 04 | 0 (PING, length 4)
  0x01, //                    0 (uptime byte 0)
  0x01, //                    0 (uptime byte 1)
  0x02, 0x01, //              01 | 0 (uptime bytes 2, 3: 65536 = 00 00 01 00 LE)
  0x03, 0xd8, 0x41, //        d8 41 (CRC 0x41d8)
  0x00, //                    delimiter
]);

const concat = (...parts: ArrayLike<number>[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));

t.test('a whole frame in one chunk', async (t) => {
  const p = new FrameParser();
  t.same(p.push(PING), [PING_FRAME]);
  t.same(p.stats(), { frames: 1, crcErrors: 0, malformed: 0, oversized: 0, resyncs: 0, droppedBytes: 0 });
});

t.test('the PONG literal decodes to a PING response with uptime 65536', async (t) => {
  const [f] = new FrameParser().push(PONG);
  t.equal(f.type, FrameType.RESPONSE);
  t.equal(f.seq, 2);
  t.same([...f.payload], [0x00, 0x00, 0x01, 0x00]);
});

t.test('split chunks: every split point, and one byte at a time', async (t) => {
  for (let cut = 0; cut <= PING.length; cut++) {
    const p = new FrameParser();
    const frames = [...p.push(PING.subarray(0, cut)), ...p.push(PING.subarray(cut))];
    t.same(frames, [PING_FRAME], `cut at ${cut}`);
  }
  const p = new FrameParser();
  const frames: Frame[] = [];
  for (const b of concat(PING, PONG)) frames.push(...p.push(Uint8Array.of(b)));
  t.equal(frames.length, 2);
  t.equal(p.stats().resyncs, 0);
});

t.test('garbage before a frame is dropped and the frame recovered', async (t) => {
  const p = new FrameParser();
  const frames = p.push(concat([0xde, 0xad, 0xbe, 0xef], PING)); // garbage, then the frame's leading 00
  t.same(frames, [PING_FRAME]);
  t.equal(p.stats().malformed, 1, 'de ad be ef is not valid COBS');
  t.equal(p.stats().resyncs, 1);
  t.equal(p.stats().droppedBytes, 4);
});

t.test('a bad CRC is counted and the next frame still decodes', async (t) => {
  const bad = PING.slice();
  bad[10] = 0x27; // CRC high byte 26 -> 27
  const p = new FrameParser();
  t.same(p.push(concat(bad, PONG)).map((f) => f.type), [FrameType.RESPONSE]);
  t.equal(p.stats().crcErrors, 1);
  t.equal(p.stats().frames, 1);
});

t.test('an oversized length field is rejected', async (t) => {
  // decoded 01 01 02 00 02 | 01 08 (length 0x0801 = 2049) | d5 94 (CRC)
  const oversized = Uint8Array.from([0x00, 0x04, 0x01, 0x01, 0x02, 0x06, 0x02, 0x01, 0x08, 0xd5, 0x94, 0x00]);
  const p = new FrameParser();
  t.same(p.push(concat(oversized, PING)), [PING_FRAME]);
  t.equal(p.stats().oversized, 1);
});

t.test('a run with no delimiter longer than the largest frame is dropped', async (t) => {
  const run = new Uint8Array(MAX_ENCODED_LENGTH * 2 + 5).fill(0x41);
  const rejects: string[] = [];
  const p = new FrameParser({ onReject: (err) => rejects.push(String(err.details?.reason)) });
  const frames = [...p.push(run.subarray(0, 1000)), ...p.push(run.subarray(1000)), ...p.push(PING)];
  t.same(frames, [PING_FRAME]);
  t.equal(p.stats().oversized, 1, 'counted once per run');
  t.equal(p.stats().droppedBytes, run.length);
  t.same(rejects, ['oversized']);
});

t.test('a frame cut by an unplug, then a good frame', async (t) => {
  const p = new FrameParser();
  t.same(p.push(PONG.subarray(0, 9)), [], 'half a frame: nothing yet');
  // board re-plugged: it starts over with a fresh frame, whose leading 00 ends the stub
  t.same(p.push(PING), [PING_FRAME]);
  t.equal(p.stats().resyncs, 1);
  // or the link reopens the port and resets the parser explicitly
  p.push(PONG.subarray(0, 9));
  p.reset();
  t.same(p.push(PING.subarray(1)), [PING_FRAME], 'a frame without its leading delimiter after reset()');
  t.equal(p.stats().resyncs, 2);
});

t.test('empty frames (back-to-back delimiters) are ignored silently', async (t) => {
  const p = new FrameParser();
  t.same(p.push(concat([0, 0, 0], PING, [0, 0])), [PING_FRAME]);
  t.equal(p.stats().resyncs, 0);
});

t.test('the parser never throws, whatever it is given', async (t) => {
  const p = new FrameParser({
    onReject: () => {
      throw new Error('listener bug');
    },
  });
  t.doesNotThrow(() => p.push(null as never));
  t.doesNotThrow(() => p.push('text' as never));
  t.doesNotThrow(() => p.push(Uint8Array.of(0, 5, 0)));
  t.same(p.push(PING), [PING_FRAME]);
});

t.test('FrameParserStream: bytes in, frames out, rejects as events', async (t) => {
  const s = new FrameParserStream();
  const frames: Frame[] = [];
  const rejects: unknown[] = [];
  s.on('data', (f: Frame) => frames.push(f));
  s.on('reject', (e) => rejects.push(e));
  s.write(Buffer.from(PING.subarray(0, 5)));
  s.write(Buffer.from(concat(PING.subarray(5), [1, 2, 3], PONG)));
  s.end();
  await new Promise((r) => s.on('end', r));
  t.equal(frames.length, 2);
  t.equal(rejects.length, 1);
});
