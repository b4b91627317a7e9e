/**
 * Fuzz properties of the signed beacon: frame decoding (beacon/frame.ts), fragments and their
 * reassembly (beacon/fragments.ts), the advertising forms (beacon/advertising.ts), the phone's
 * collector (beacon/assembler.ts) and the verifier, on arbitrary and damaged bytes.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { adStructuresProblem } from '../../core/address.js';
import type { ErrorCode } from '../../core/errors.js';
import { BeaconAssembler } from '../../beacon/assembler.js';
import {
  beaconFragmentsInAd, beaconSchedule, EXTENDED_AD_MAX_BYTES, extendedAdvertisingData, gattFrameValue, LEGACY_AD_MAX_BYTES, parseAdStructures,
} from '../../beacon/advertising.js';
import { toHex } from '../../beacon/bytes.js';
import {
  BEACON_FRAME_BYTES, beaconPublicKey, decodeBeaconFrame, encodeBeaconBody, kioskIdFromPublicKey, signBeaconFrame, type BeaconFields,
} from '../../beacon/frame.js';
import { decodeBeaconFragment, encodeBeaconFragment, fragmentBeaconFrame, MAX_FRAGMENTS, reassembleBeaconFrame } from '../../beacon/fragments.js';
import { GEOHASH_ALPHABET } from '../../beacon/geohash.js';
import { verifyBeaconFragments, verifyBeaconFrame } from '../../beacon/verify.js';
import { applyMutations, bytesArb, mutated, mutationsArb, parseOrRefuse, type FuzzProperty } from './harness.js';

const MALFORMED: ErrorCode[] = ['WAYMARK_ERR_BEACON_MALFORMED'];
const REASSEMBLY: ErrorCode[] = ['WAYMARK_ERR_BEACON_MALFORMED', 'WAYMARK_ERR_BEACON_INCOMPLETE', 'WAYMARK_ERR_BEACON_FRAGMENT_MISMATCH'];
const ASSEMBLY: ErrorCode[] = [...REASSEMBLY, 'WAYMARK_ERR_BEACON_BAD_SIGNATURE', 'WAYMARK_ERR_BEACON_EPOCH', 'WAYMARK_ERR_BEACON_UNKNOWN_KIOSK'];

export const geohashArb = fc.string({ unit: fc.constantFrom(...GEOHASH_ALPHABET), minLength: 9, maxLength: 9 });

export const beaconFieldsArb: fc.Arbitrary<BeaconFields> = fc.record({
  kioskId: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  epoch: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 0xffffffff)),
  periodS: fc.integer({ min: 1, max: 255 }),
  geohash: geohashArb,
  txPower: fc.integer({ min: -128, max: 127 }),
});

/** A well-formed frame with a random (unverifiable) signature: decoding does not verify. */
const unsignedFrameArb = fc.tuple(beaconFieldsArb, fc.uint8Array({ minLength: 64, maxLength: 64 }))
  .map(([fields, sig]) => ({ fields, bytes: Uint8Array.from([...encodeBeaconBody(fields), ...sig]) }));

/** Really signed frames of two kiosks, made once: signing is the slow part. */
const NOW_MS = Date.UTC(2026, 4, 1, 12);
const SECRET_KEYS = [new Uint8Array(32).fill(7), Uint8Array.from({ length: 32 }, (_, i) => i * 13 + 1)];
let signedCache: { key: Uint8Array; publicKey: Uint8Array; fields: BeaconFields; frame: Uint8Array }[] | undefined;
function signedFrames() {
  signedCache ??= SECRET_KEYS.flatMap((key) => {
    const publicKey = beaconPublicKey(key);
    return [30, 5].map((periodS) => {
      const fields: BeaconFields = { kioskId: kioskIdFromPublicKey(publicKey), epoch: Math.floor(NOW_MS / 1000 / periodS), periodS, geohash: 'u4pruydqq', txPower: -59 };
      return { key, publicKey, fields, frame: signBeaconFrame(fields, key) };
    });
  });
  return signedCache;
}

function fieldsOf(frame: ReturnType<typeof decodeBeaconFrame>): BeaconFields {
  return { kioskId: frame.kioskId, epoch: frame.epoch, periodS: frame.periodS, geohash: frame.geohash, txPower: frame.txPower };
}

const frameDecode: FuzzProperty = {
  name: 'beacon: decodeBeaconFrame on arbitrary and damaged frames decodes canonically or throws _MALFORMED',
  runs: 60_000,
  build: () => ({
    property: fc.property(
      fc.oneof(
        bytesArb(100),
        fc.uint8Array({ minLength: 84, maxLength: 84 }).map((b) => Uint8Array.from([1, ...b])),
        unsignedFrameArb.map((f) => f.bytes),
        mutated(unsignedFrameArb.map((f) => f.bytes)).map((m) => m.bytes),
      ),
      (bytes) => {
        const decoded = parseOrRefuse('decodeBeaconFrame', MALFORMED, () => decodeBeaconFrame(bytes));
        const gatt = parseOrRefuse('gattFrameValue', MALFORMED, () => gattFrameValue(bytes));
        assert.equal(gatt.ok, decoded.ok);
        if (!decoded.ok) return;
        const f = decoded.value;
        assert.equal(bytes.length, BEACON_FRAME_BYTES);
        // a decoded frame re-encodes to the same bytes: one encoding per frame
        assert.deepEqual(Uint8Array.from([...encodeBeaconBody(fieldsOf(f)), ...f.signature]), Uint8Array.from(bytes));
        assert.deepEqual(f.bytes, Uint8Array.from(bytes));
      },
    ),
  }),
};

const frameRoundTrip: FuzzProperty = {
  name: 'beacon: encodeBeaconBody + signature decodes to the same fields',
  runs: 30_000,
  build: () => ({
    property: fc.property(unsignedFrameArb, ({ fields, bytes }) => {
      const f = decodeBeaconFrame(bytes);
      assert.deepEqual(fieldsOf(f), { ...fields, kioskId: Uint8Array.from(fields.kioskId) });
      assert.equal(f.version, 1);
      assert.deepEqual(f.signature, bytes.slice(21));
    }),
  }),
};

const fragmentArb = fc.record({
  count: fc.integer({ min: 1, max: MAX_FRAGMENTS }),
  index: fc.nat(),
  epochLow: fc.integer({ min: 0, max: 255 }),
  payload: fc.uint8Array({ minLength: 1, maxLength: 40 }),
}).map((f) => ({ ...f, index: f.index % f.count }));

const fragmentCodec: FuzzProperty = {
  name: 'beacon: decodeBeaconFragment on arbitrary bytes is the inverse of encodeBeaconFragment or throws _MALFORMED',
  runs: 80_000,
  build: () => ({
    property: fc.property(fc.oneof(bytesArb(40), fragmentArb.map((f) => encodeBeaconFragment(f))), fragmentArb, (bytes, fragment) => {
      const decoded = parseOrRefuse('decodeBeaconFragment', MALFORMED, () => decodeBeaconFragment(bytes));
      if (decoded.ok) assert.deepEqual(encodeBeaconFragment(decoded.value), Uint8Array.from(bytes));
      const again = decodeBeaconFragment(encodeBeaconFragment(fragment));
      assert.deepEqual(again, { ...fragment, payload: Uint8Array.from(fragment.payload) });
    }),
  }),
};

/** Fragment lists: a frame's fragments (some lost, duplicated, damaged), other frames' fragments, garbage. */
const fragmentListArb = fc.tuple(
  unsignedFrameArb,
  unsignedFrameArb,
  fc.integer({ min: 6, max: 90 }),
  fc.array(fc.oneof(
    { weight: 6, arbitrary: fc.record({ from: fc.constant('a' as const), i: fc.nat(), damage: fc.option(mutationsArb(2), { freq: 5 }) }) },
    { weight: 1, arbitrary: fc.record({ from: fc.constant('b' as const), i: fc.nat(), damage: fc.constant(null) }) },
    { weight: 1, arbitrary: bytesArb(30).map((bytes) => ({ from: 'raw' as const, bytes })) },
  ), { maxLength: 20 }),
).map(([a, b, maxPayload, picks]) => {
  const fa = fragmentBeaconFrame(a.bytes, maxPayload);
  const fb = fragmentBeaconFrame(b.bytes, maxPayload);
  return picks.map((p) => {
    if (p.from === 'raw') return p.bytes;
    const list = p.from === 'a' ? fa : fb;
    const f = list[p.i % list.length];
    return p.damage ? applyMutations(f, p.damage) : f;
  });
});

const reassembly: FuzzProperty = {
  name: 'beacon: reassembleBeaconFrame on arbitrary fragment lists returns 85 bytes or a beacon error',
  runs: 30_000,
  build: () => ({
    property: fc.property(fragmentListArb, (fragments) => {
      const r = parseOrRefuse('reassembleBeaconFrame', REASSEMBLY, () => reassembleBeaconFrame(fragments));
      if (r.ok) {
        assert.equal(r.value.length, BEACON_FRAME_BYTES);
        assert.equal(r.value[12], decodeBeaconFragment(fragments[0]).epochLow);
      }
      const now = NOW_MS / 1000;
      const v = verifyBeaconFragments(fragments, signedFrames()[0].publicKey, now);
      assert.ok(!v.valid && ASSEMBLY.includes(v.error.code), 'random fragments never verify');
    }),
  }),
};

const reassemblyRoundTrip: FuzzProperty = {
  name: 'beacon: a frame\'s fragments in any order, with duplicates, reassemble to the frame',
  runs: 30_000,
  build: () => ({
    property: fc.property(unsignedFrameArb, fc.integer({ min: 6, max: 100 }), fc.array(fc.nat(), { maxLength: 10 }), fc.nat(), ({ bytes }, maxPayload, dups, rot) => {
      const fragments = fragmentBeaconFrame(bytes, maxPayload);
      const shuffled = [...fragments.slice(rot % fragments.length), ...fragments.slice(0, rot % fragments.length), ...dups.map((d) => fragments[d % fragments.length])];
      assert.deepEqual(reassembleBeaconFrame(shuffled), Uint8Array.from(bytes));
      if (fragments.length > 1) {
        const r = parseOrRefuse('reassembleBeaconFrame', REASSEMBLY, () => reassembleBeaconFrame(shuffled.filter((f) => f !== fragments[0])));
        assert.ok(!r.ok && r.error.code === 'WAYMARK_ERR_BEACON_INCOMPLETE' && (r.error.details?.missing as number[]).includes(0));
      }
    }),
  }),
};

const advertising: FuzzProperty = {
  name: 'beacon: parseAdStructures/beaconFragmentsInAd on any AD; schedule and extended forms carry the frame',
  runs: 15_000,
  build: () => ({
    property: fc.property(bytesArb(62), unsignedFrameArb, (ad, { bytes: frame }) => {
      const structures = parseOrRefuse('parseAdStructures', ['WAYMARK_ERR_AD_MALFORMED'], () => parseAdStructures(ad));
      const found = parseOrRefuse('beaconFragmentsInAd', ['WAYMARK_ERR_AD_MALFORMED'], () => beaconFragmentsInAd(ad));
      assert.equal(found.ok, structures.ok);
      if (found.ok) for (const f of found.value) parseOrRefuse('decodeBeaconFragment', MALFORMED, () => decodeBeaconFragment(f));

      const pages = beaconSchedule(frame);
      const collected: Uint8Array[] = [];
      for (const page of pages) {
        for (const ad of [page.advertisement, page.scanResponse]) {
          assert.ok(ad.length <= LEGACY_AD_MAX_BYTES);
          assert.equal(adStructuresProblem(ad), null);
          collected.push(...beaconFragmentsInAd(ad));
        }
      }
      assert.deepEqual(reassembleBeaconFrame(collected), frame);
      const ext = extendedAdvertisingData(frame);
      assert.ok(ext.length <= EXTENDED_AD_MAX_BYTES);
      assert.deepEqual(reassembleBeaconFrame(beaconFragmentsInAd(ext)), frame);
    }),
  }),
};

const SOURCES = ['aa:00:00:00:00:01', 'aa:00:00:00:00:02', 'ios-peripheral-3'];

const sampleArb = fc.tuple(
  fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.nat({ max: 3 }), fc.constantFrom(22, 85, 10), fc.nat()).map(([s, maxPayload, i]) => pickFragment(fragmentBeaconFrame(signedFrames()[s].frame, maxPayload), i)) },
    { weight: 2, arbitrary: fc.tuple(unsignedFrameArb, fc.nat()).map(([f, i]) => pickFragment(fragmentBeaconFrame(f.bytes), i)) },
    { weight: 1, arbitrary: fc.tuple(fc.nat({ max: 3 }), fc.nat(), mutationsArb(2)).map(([s, i, ms]) => applyMutations(pickFragment(fragmentBeaconFrame(signedFrames()[s].frame), i), ms)) },
    { weight: 1, arbitrary: bytesArb(30) },
  ),
  fc.nat({ max: SOURCES.length - 1 }),
  fc.integer({ min: -100, max: 10 }),
  fc.integer({ min: -120_000, max: 120_000 }),
);

function pickFragment(fragments: Uint8Array[], i: number): Uint8Array {
  return fragments[i % fragments.length];
}

function keyLookup() {
  const keys = new Map(signedFrames().map((s) => [toHex(s.fields.kioskId), s.publicKey] as const));
  return (kiosk: string) => keys.get(kiosk);
}

const assemblerStream: FuzzProperty = {
  name: 'beacon: BeaconAssembler on arbitrary sample streams answers valid (genuine frames only) or a beacon error',
  runs: 5_000,
  build: () => {
    const genuine = new Set(signedFrames().map((s) => toHex(s.frame)));
    return {
      property: fc.property(fc.array(sampleArb, { minLength: 1, maxLength: 16 }), fc.integer({ min: 1, max: 3 }), (samples, maxSources) => {
        const assembler = new BeaconAssembler({ keyFor: keyLookup(), maxSources, maxPartialAgeMs: 60_000 });
        let t = NOW_MS;
        for (const [data, src, rssi, dt] of samples) {
          t += dt;
                    let result;
          try {
            result = assembler.feed({ source: SOURCES[src], data, rssi, timeMs: t });
          } catch (err) {
            throw new Error(`BeaconAssembler.feed threw: ${(err as Error)?.stack ?? String(err)}`);
          }
          if (result.valid) {
            assert.ok(genuine.has(toHex(result.beacon.frame)), 'only a genuine frame verifies');
            assert.ok(Math.abs(result.beacon.epochSkew) <= 1);
          } else {
            assert.ok(ASSEMBLY.includes(result.error.code), `code ${result.error.code}`);
          }
          assert.ok(assembler.sources <= maxSources);
        }
      }),
    };
  },
};

const assemblerRoundTrip: FuzzProperty = {
  name: 'beacon: BeaconAssembler verifies a signed frame from its fragments in any order, then repeats',
  runs: 1_500,
  build: () => ({
    property: fc.property(fc.nat({ max: 3 }), fc.constantFrom(22, 30, 85), fc.array(fc.nat(), { minLength: 0, maxLength: 6 }), fc.nat(), (which, maxPayload, dups, rot) => {
      const s = signedFrames()[which];
      const fragments = fragmentBeaconFrame(s.frame, maxPayload);
      const order = [...fragments.slice(rot % fragments.length), ...fragments.slice(0, rot % fragments.length)];
      const assembler = new BeaconAssembler({ keyFor: keyLookup() });
      const t = s.fields.epoch * s.fields.periodS * 1000 + 100;
      const distinct = new Set<number>();
      for (const f of order) {
        distinct.add(f[0] >> 4);
        const r = assembler.feed({ source: SOURCES[0], data: f, rssi: -60, timeMs: t });
        if (distinct.size < fragments.length) assert.ok(!r.valid && r.error.code === 'WAYMARK_ERR_BEACON_INCOMPLETE');
        else {
          assert.ok(r.valid, r.valid ? '' : r.error.message);
          assert.deepEqual(r.beacon.frame, s.frame);
          assert.equal(r.repeat, false);
        }
      }
      for (const d of dups) {
        const r = assembler.feed({ source: SOURCES[0], data: fragments[d % fragments.length], rssi: -70, timeMs: t });
        assert.ok(r.valid && r.repeat, 'a repeated fragment of a verified frame is a repeat');
      }
    }),
  }),
};

const verifyDamaged: FuzzProperty = {
  name: 'beacon: verifyBeaconFrame refuses every damaged copy of a signed frame with a beacon code',
  runs: 2_500,
  build: () => ({
    property: fc.property(fc.nat({ max: 3 }), mutationsArb(3), (which, ms) => {
      const s = signedFrames()[which];
      const damaged = applyMutations(s.frame, ms);
      const r = verifyBeaconFrame(damaged, s.publicKey, NOW_MS / 1000);
      if (damaged.length === s.frame.length && damaged.every((b, i) => b === s.frame[i])) assert.ok(r.valid);
      else assert.ok(!r.valid && ASSEMBLY.includes(r.error.code), r.valid ? 'a damaged frame verified' : r.error.code);
    }),
  }),
};

export const beaconProperties: FuzzProperty[] = [
  frameDecode, frameRoundTrip, fragmentCodec, reassembly, reassemblyRoundTrip, advertising, assemblerStream, assemblerRoundTrip, verifyDamaged,
];
