/**
 * Fuzz properties of the AD structure checks: core/address.ts adStructuresProblem (what the
 * HCI guard and the serial radio trust), beacon/advertising.ts parseAdStructures (what the
 * phone side trusts) and firmware-bridge/radio/adv-report.ts checkAdvReport.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { adStructuresProblem } from '../../core/address.js';
import { parseAdStructures } from '../../beacon/advertising.js';
import { checkAdvReport, rssiInRange } from '../../firmware-bridge/radio/adv-report.js';
import { decodeEvent, encodeEvent, LEGACY_ADV_DATA_MAX, ReportKind, type EventOf } from '../../firmware-bridge/protocol/commands.js';
import { bytesArb, mutated, parseOrRefuse, type FuzzProperty } from './harness.js';

export interface AdStructureSpec {
  type: number;
  data: Uint8Array;
}

export function encodeAd(structures: readonly AdStructureSpec[], padding = 0): Uint8Array {
  const parts: number[] = [];
  for (const s of structures) parts.push(s.data.length + 1, s.type, ...s.data);
  for (let i = 0; i < padding; i++) parts.push(0);
  return Uint8Array.from(parts);
}

/** AD structures whose encoding fits `maxBytes`, and the zero padding after them. */
export function adArb(maxBytes = 31): fc.Arbitrary<{ structures: AdStructureSpec[]; padding: number; bytes: Uint8Array }> {
  const structure = fc.record({
    type: fc.oneof(fc.constantFrom(0x01, 0x08, 0x09, 0x0a, 0x16, 0x20, 0x21, 0xff), fc.integer({ min: 0, max: 255 })),
    data: fc.uint8Array({ maxLength: Math.min(30, maxBytes - 2) }),
  });
  return fc.tuple(fc.array(structure, { maxLength: 6 }), fc.nat({ max: 8 })).map(([all, pad]) => {
    const structures: AdStructureSpec[] = [];
    let used = 0;
    for (const s of all) {
      if (used + 2 + s.data.length > maxBytes) break;
      structures.push(s);
      used += 2 + s.data.length;
    }
    const padding = Math.min(pad, maxBytes - used);
    return { structures, padding, bytes: encodeAd(structures, padding) };
  });
}

/** Bytes with a start..end window inside them. */
const windowed = bytesArb(64).chain((data) =>
  fc.tuple(fc.constant(data), fc.nat({ max: data.length }), fc.nat({ max: data.length })).map(([d, a, b]) => ({ data: d, start: Math.min(a, b), end: Math.max(a, b) })));

const adStructuresWindow: FuzzProperty = {
  name: 'ad: adStructuresProblem on arbitrary bytes and windows agrees with parseAdStructures',
  runs: 100_000,
  build: () => ({
    property: fc.property(fc.oneof(windowed, mutated(adArb(40).map((a) => a.bytes)).map(({ bytes }) => ({ data: bytes, start: 0, end: bytes.length }))), ({ data, start, end }) => {
      const problem = adStructuresProblem(data, start, end);
      assert.ok(problem === null || typeof problem === 'string');
      const window = data.slice(start, end);
      assert.equal(adStructuresProblem(window), problem, 'reads nothing outside [start, end)');
      const parsed = parseOrRefuse('parseAdStructures', ['WAYMARK_ERR_AD_MALFORMED'], () => parseAdStructures(window));
      if (problem === null) {
        assert.ok(parsed.ok, 'what the guard accepts, the phone side parses');
        // accepted AD is its structures followed by zero padding only
        const again = encodeAd(parsed.value.map((s) => ({ type: s.type, data: s.data })));
        assert.deepEqual(window.subarray(0, again.length), again);
        assert.ok(window.subarray(again.length).every((b) => b === 0));
      } else if (parsed.ok) {
        // parseAdStructures stops at the first zero length; the guard also wants zeros after it
        assert.match(problem, /zero-length/);
      }
    }),
  }),
};

const adRoundTrip: FuzzProperty = {
  name: 'ad: encoded AD structures (+ zero padding) are accepted and parse back',
  runs: 60_000,
  build: () => ({
    property: fc.property(adArb(254), ({ structures, bytes }) => {
      assert.equal(adStructuresProblem(bytes), null);
      assert.deepEqual(parseAdStructures(bytes).map((s) => ({ type: s.type, data: s.data })), structures.map((s) => ({ type: s.type, data: Uint8Array.from(s.data) })));
    }),
  }),
};

const advReportEvent = (data: fc.Arbitrary<Uint8Array>): fc.Arbitrary<EventOf<'ADV_REPORT'>> => fc.record({
  kind: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(ReportKind.LEGACY, ReportKind.EXTENDED) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  eventType: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 0xffff })),
  addressType: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(0, 1) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  address: fc.uint8Array({ minLength: 6, maxLength: 6 }),
  rssi: fc.oneof(fc.integer({ min: -127, max: 20 }), fc.integer({ min: -128, max: 127 })),
  data,
});

const ADDRESS = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

function checkReportShape(event: EventOf<'ADV_REPORT'>): void {
  const check = checkAdvReport(event, 1_777_000_000_000);
  if ('drop' in check) {
    assert.ok(['adMalformed', 'rssiOutOfRange', 'reportMalformed'].includes(check.drop));
    assert.equal(typeof check.detail, 'string');
    return;
  }
  const r = check.report;
  assert.match(r.address, ADDRESS);
  assert.ok(rssiInRange(r.rssi));
  assert.ok(['public', 'static', 'resolvable', 'non-resolvable', 'reserved'].includes(r.addressKind));
  assert.ok(event.data.length <= (event.kind === ReportKind.LEGACY ? LEGACY_ADV_DATA_MAX : 1650));
  for (const sd of r.serviceData) assert.match(sd.uuid, /^(?:[0-9a-f]{4}|[0-9a-f]{8}|[0-9a-f]{32})$/);
}

const advReportArbitrary: FuzzProperty = {
  name: 'adv-report: checkAdvReport on arbitrary ADV_REPORT payloads reports or drops, never throws',
  runs: 60_000,
  build: () => ({
    property: fc.property(
      fc.oneof(
        bytesArb(80),
        mutated(advReportEvent(fc.oneof(bytesArb(40), adArb(31).map((a) => a.bytes))).map((e) => encodeEvent('ADV_REPORT', e))).map((m) => m.bytes),
      ),
      (payload) => {
        const decoded = parseOrRefuse('decodeEvent(ADV_REPORT)', ['WAYMARK_ERR_SERIAL_PAYLOAD'], () => decodeEvent('ADV_REPORT', payload));
        if (decoded.ok) checkReportShape(decoded.value);
      },
    ),
  }),
};

const advReportContent: FuzzProperty = {
  name: 'adv-report: a well-formed ADV_REPORT passes with its service data, name and Tx power',
  runs: 30_000,
  build: () => ({
    property: fc.property(
      advReportEvent(adArb(31).map((a) => a.bytes)).filter((e) => (e.kind === 0 || e.kind === 1) && (e.addressType === 0 || e.addressType === 1) && (e.kind === 1 || e.eventType <= 4) && rssiInRange(e.rssi)),
      (event) => {
        const check = checkAdvReport(event, 42);
        assert.ok('report' in check, `dropped: ${'drop' in check ? check.detail : ''}`);
        const r = check.report;
        const expected: { uuid: string; data: Uint8Array }[] = [];
        let name: string | undefined;
        let manufacturer: Uint8Array | undefined;
        let tx: number | undefined;
        const uuidBytes: Record<number, number> = { 0x16: 2, 0x20: 4, 0x21: 16 };
        for (const s of parseAdStructures(event.data)) {
          const n = uuidBytes[s.type];
          if (n !== undefined && s.data.length >= n) expected.push({ uuid: Buffer.from(s.data.subarray(0, n)).reverse().toString('hex'), data: s.data.slice(n) });
          if (s.type === 0x08 || s.type === 0x09) name = new TextDecoder().decode(s.data);
          if (s.type === 0xff) manufacturer = s.data;
          if (s.type === 0x0a && s.data.length >= 1) tx = (s.data[0] << 24) >> 24;
        }
        assert.deepEqual(r.serviceData.map((sd) => ({ uuid: sd.uuid, data: Uint8Array.from(sd.data) })), expected);
        assert.equal(r.localName, name);
        assert.deepEqual(r.manufacturerData === undefined ? undefined : Uint8Array.from(r.manufacturerData), manufacturer);
        assert.equal(r.txPowerLevel, tx);
        assert.equal(r.address, Array.from(event.address, (b) => b.toString(16).padStart(2, '0')).join(':'));
        assert.equal(r.addressType, event.addressType === 1 ? 'random' : 'public');
        assert.equal(r.rssi, event.rssi);
        assert.equal(r.time, 42);
      },
    ),
  }),
};

export const adStructureProperties: FuzzProperty[] = [adStructuresWindow, adRoundTrip, advReportArbitrary, advReportContent];
