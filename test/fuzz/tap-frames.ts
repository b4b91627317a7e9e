/**
 * Fuzz properties of the BLE tap response frames (kiosk/radio/tap-frames.ts): the phone's
 * assembler on arbitrary and damaged chunk streams, and encode/assemble round trips for any
 * message and chunk size.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeTapResponse, MIN_CHUNK_SIZE, TapResponseAssembler, type TapMessage } from '../../kiosk/radio/tap-frames.js';
import { applyMutations, bytesArb, mutationsArb, parseOrRefuse, type FuzzProperty } from './harness.js';

const FAILED = ['WAYMARK_ERR_CHECKIN_TAP_FAILED'] as const;

export const tapMessageArb: fc.Arbitrary<TapMessage> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((body) => ({ ok: true as const, body })),
  fc.oneof(fc.constantFrom('WAYMARK_ERR_CHECKIN_TOO_FAR', 'WAYMARK_ERR_CHECKIN_TAP_MALFORMED'), fc.string({ unit: 'grapheme', maxLength: 40 })).map((code) => ({ ok: false as const, code })),
);

/** Pushes every chunk; returns what came out, stopping at the first refusal. */
function feed(chunks: readonly Uint8Array[]): { messages: TapMessage[]; refused: boolean; pushed: number } {
  const assembler = new TapResponseAssembler();
  const messages: TapMessage[] = [];
  let done = false;
  for (let i = 0; i < chunks.length; i++) {
    const r = parseOrRefuse('TapResponseAssembler.push', FAILED, () => assembler.push(chunks[i]));
    if (!r.ok) {
      assert.equal(r.error.details?.reason, 'frame');
      return { messages, refused: true, pushed: i };
    }
    assert.equal(done, false, 'nothing is accepted after the end of the message');
    if (r.value !== null) {
      messages.push(r.value);
      done = true;
    }
    assert.equal(assembler.chunks, i + 1);
  }
  return { messages, refused: false, pushed: chunks.length };
}

const arbitraryChunks: FuzzProperty = {
  name: 'tap: TapResponseAssembler on arbitrary chunk streams assembles or refuses with _TAP_FAILED',
  runs: 80_000,
  build: () => ({
    property: fc.property(
      fc.oneof(
        fc.array(bytesArb(24), { maxLength: 8 }),
        // plausible streams: sequence numbers in order, random headers and bodies
        fc.array(bytesArb(20), { minLength: 1, maxLength: 8 }).map((cs) => cs.map((c, i) => Uint8Array.from([i, ...c]))),
      ),
      (chunks) => {
        const { messages } = feed(chunks);
        for (const m of messages) {
          if (m.ok) assert.ok(m.body instanceof Uint8Array);
          else assert.equal(typeof m.code, 'string');
        }
      },
    ),
  }),
};

const roundTrip: FuzzProperty = {
  name: 'tap: encodeTapResponse chunks (any size) assemble to the message; damaged streams refuse with a code',
  runs: 40_000,
  build: () => ({
    property: fc.property(tapMessageArb, fc.integer({ min: MIN_CHUNK_SIZE, max: 260 }), fc.option(fc.tuple(fc.nat(), mutationsArb(2))), (message, chunkSize, damage) => {
      const chunks = encodeTapResponse(message, chunkSize);
      for (const c of chunks) assert.ok(c.length <= chunkSize && c.length >= 1);
      const whole = feed(chunks);
      assert.equal(whole.refused, false);
      assert.deepEqual(whole.messages, [message.ok ? { ok: true, body: Uint8Array.from(message.body) } : message]);
      if (damage) {
        const [which, ms] = damage;
        const damaged = chunks.slice();
        damaged[which % damaged.length] = applyMutations(damaged[which % damaged.length], ms);
        feed(damaged);
        feed([...chunks, ...chunks.slice(0, 1)]); // a chunk after the end
        feed(chunks.slice(1)); // the first chunk lost
      }
    }),
  }),
};

export const tapFrameProperties: FuzzProperty[] = [arbitraryChunks, roundTrip];
