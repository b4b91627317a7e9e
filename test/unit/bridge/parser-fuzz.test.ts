import t from 'tap';
import fc from 'fast-check';
import { FrameParser } from '../../../firmware-bridge/protocol/parser.js';
import { encodeFrame, FrameType, MAX_ENCODED_LENGTH, type Frame } from '../../../firmware-bridge/protocol/frame.js';

// 2.5 million inputs in total: random bytes, mutated valid frames, and valid frames embedded
// in garbage. A seeded xorshift keeps it reproducible and cheap; fast-check adds shrinking runs.
const RANDOM_INPUTS = 1_000_000;
const MUTATED_INPUTS = 1_000_000;
const EMBEDDED_INPUTS = 500_000;
const PROPERTY_RUNS = 2_000;

let state = 0x9e3779b9;
const next = () => {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state;
};
const below = (n: number) => next() % n;

/** Valid frames with distinct seqs, so a recovered frame can be told from garbage that happens to decode. */
const POOL: { frame: Frame; wire: Uint8Array }[] = [];
for (let i = 0; i < 128; i++) {
  const len = i < 120 ? below(64) : 200 + below(1800);
  const payload = Uint8Array.from({ length: len }, () => (below(6) === 0 ? 0 : next() & 0xff));
  const types = [FrameType.REQUEST, FrameType.RESPONSE, FrameType.EVENT, FrameType.ERROR] as const;
  const frame: Frame = { version: 1, type: types[i % 4], seq: 0x4000 + i, id: below(256), payload };
  POOL.push({ frame, wire: encodeFrame(frame) });
}
const SENTINEL = encodeFrame({ version: 1, type: FrameType.EVENT, seq: 0xfffe, id: 0x81, payload: Uint8Array.of(1, 2, 3) });

function sameFrame(a: Frame, b: Frame): boolean {
  if (a.seq !== b.seq || a.id !== b.id || a.type !== b.type || a.version !== b.version || a.payload.length !== b.payload.length) return false;
  for (let i = 0; i < a.payload.length; i++) if (a.payload[i] !== b.payload[i]) return false;
  return true;
}

/** Push `bytes` in 1..3 chunks at random cut points. */
function pushChunked(p: FrameParser, bytes: Uint8Array, out: Frame[]): void {
  const cuts = below(3);
  let at = 0;
  for (let c = 0; c < cuts && at < bytes.length; c++) {
    const to = at + below(bytes.length - at + 1);
    for (const f of p.push(bytes.subarray(at, to))) out.push(f);
    at = to;
  }
  for (const f of p.push(bytes.subarray(at))) out.push(f);
}

const garbage = new Uint8Array(MAX_ENCODED_LENGTH + 64);
function fillGarbage(n: number, zeroOneIn: number): Uint8Array {
  for (let i = 0; i < n; i++) garbage[i] = below(zeroOneIn) === 0 ? 0 : next() & 0xff;
  return garbage.subarray(0, n);
}

t.test(`${RANDOM_INPUTS} random inputs: the parser never throws`, async (t) => {
  const p = new FrameParser();
  const out: Frame[] = [];
  let thrown: unknown;
  for (let i = 0; i < RANDOM_INPUTS && thrown === undefined; i++) {
    // mostly short runs; now and then one longer than the largest frame
    const n = below(1000) === 0 ? MAX_ENCODED_LENGTH + below(50) : below(48);
    try {
      pushChunked(p, fillGarbage(n, 1 + below(64)), out);
    } catch (err) {
      thrown = err;
    }
    out.length = 0;
  }
  t.equal(thrown, undefined);
  const s = p.stats();
  t.ok(s.resyncs > 0 && s.oversized > 0, `stats ${JSON.stringify(s)}`);
});

t.test(`${MUTATED_INPUTS} mutated frames: never throws, and the next good frame is always recovered`, async (t) => {
  const p = new FrameParser();
  const buf = new Uint8Array(4096);
  const out: Frame[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  for (let i = 0; i < MUTATED_INPUTS; i++) {
    const { wire } = POOL[below(120)];
    buf.set(wire);
    let n = wire.length;
    const mutations = 1 + below(3);
    for (let m = 0; m < mutations; m++) {
      const at = below(n);
      switch (below(5)) {
        case 0: buf[at] ^= 1 << below(8); break; // flip a bit
        case 1: buf[at] = next() & 0xff; break; // replace a byte
        case 2: buf.copyWithin(at, at + 1, n); n--; break; // delete a byte
        case 3: buf.copyWithin(at + 1, at, n); buf[at] = next() & 0xff; n++; break; // insert a byte
        case 4: n = at + 1; break; // truncate: unplugged mid-frame
      }
    }
    out.length = 0;
    try {
      pushChunked(p, buf.subarray(0, n), out);
      pushChunked(p, SENTINEL, out);
    } catch (err) {
      failures++;
      firstFailure ??= `threw ${String(err)}`;
      continue;
    }
    const last = out[out.length - 1];
    if (!last || last.seq !== 0xfffe) {
      failures++;
      firstFailure ??= `sentinel not recovered after ${Buffer.from(buf.subarray(0, n)).toString('hex')}`;
    }
  }
  t.equal(failures, 0, firstFailure ?? 'all recovered');
  t.ok(p.stats().crcErrors > 0);
});

t.test(`${EMBEDDED_INPUTS} frames embedded in garbage are all recovered`, async (t) => {
  const p = new FrameParser();
  const out: Frame[] = [];
  const buf = new Uint8Array(8192);
  let failures = 0;
  let firstFailure: string | undefined;
  for (let i = 0; i < EMBEDDED_INPUTS; i++) {
    const entry = below(50) === 0 ? POOL[120 + below(8)] : POOL[below(120)]; // large frames now and then
    const before = below(200) === 0 ? MAX_ENCODED_LENGTH + below(100) : below(40);
    const after = below(40);
    const zeroOneIn = 1 + below(40);
    buf.set(fillGarbage(before, zeroOneIn), 0);
    buf.set(entry.wire, before);
    buf.set(fillGarbage(after, zeroOneIn), before + entry.wire.length);
    const total = before + entry.wire.length + after;
    out.length = 0;
    try {
      pushChunked(p, buf.subarray(0, total), out);
    } catch (err) {
      failures++;
      firstFailure ??= `threw ${String(err)}`;
      continue;
    }
    if (!out.some((f) => sameFrame(f, entry.frame))) {
      failures++;
      firstFailure ??= `lost seq ${entry.frame.seq} in ${Buffer.from(buf.subarray(0, total)).toString('hex')}`;
    }
  }
  t.equal(failures, 0, firstFailure ?? 'all recovered');
});

t.test(`property (${PROPERTY_RUNS} runs): garbage + frame + garbage, any chunking, recovers the frame`, async (t) => {
  const frameArb = fc.record({
    version: fc.integer({ min: 0, max: 255 }),
    type: fc.constantFrom(FrameType.REQUEST, FrameType.RESPONSE, FrameType.EVENT, FrameType.ERROR),
    seq: fc.integer({ min: 0, max: 0xffff }),
    id: fc.integer({ min: 0, max: 255 }),
    payload: fc.uint8Array({ maxLength: 300 }),
  });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), frameArb, fc.uint8Array({ maxLength: 64 }), fc.array(fc.nat(), { maxLength: 5 }), (pre, frame, post, cuts) => {
      const bytes = Uint8Array.from([...pre, ...encodeFrame(frame), ...post]);
      const p = new FrameParser();
      const out: Frame[] = [];
      let at = 0;
      for (const c of cuts) {
        const to = Math.min(bytes.length, at + (c % 50));
        out.push(...p.push(bytes.subarray(at, to)));
        at = to;
      }
      out.push(...p.push(bytes.subarray(at)));
      return out.some((f) => sameFrame(f, frame));
    }),
    { numRuns: PROPERTY_RUNS, seed: 42 },
  );
  t.pass('property held');
});
