/**
 * Fuzz properties of the HCI side: the LE (Extended) Advertising Report parser
 * (kiosk/radio/hci/parser.ts) and the packet guard in front of noble and bleno
 * (kiosk/radio/hci/guard.ts), on arbitrary packets, well-formed report events and damaged ones.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { adStructuresProblem } from '../../core/address.js';
import { decodeAdvertisingReports } from '../../kiosk/radio/hci/parser.js';
import { guardHciSocket, HciPacketScreen, rssiPlausible } from '../../kiosk/radio/hci/guard.js';
import type { HciDevice, HciSocketLike } from '../../kiosk/radio/hci/socket.js';
import { adArb } from './ad-structures.js';
import { applyMutations, bytesArb, mutationsArb, type FuzzProperty } from './harness.js';

export interface LegacyReportSpec {
  eventType: number;
  addressType: number;
  /** Most significant byte first. */
  address: Uint8Array;
  data: Uint8Array;
  rssi: number;
}

export interface ExtendedReportSpec extends LegacyReportSpec {
  props: number;
  primaryPhy: number;
  secondaryPhy: number;
  sid: number;
  txPower: number;
  periodicInterval: number;
  directAddressType: number;
  directAddress: Uint8Array;
}

const lsbFirst = (address: Uint8Array): number[] => Array.from(address).reverse();

/** The H4 LE Meta event carrying `reports` (subevent 0x02 legacy or 0x0D extended). */
export function encodeReportsEvent(reports: readonly (LegacyReportSpec | ExtendedReportSpec)[], extended: boolean): Uint8Array {
  const body: number[] = [extended ? 0x0d : 0x02, reports.length];
  for (const r of reports) {
    if (!extended) {
      body.push(r.eventType, r.addressType, ...lsbFirst(r.address), r.data.length, ...r.data, r.rssi & 0xff);
    } else {
      const x = r as ExtendedReportSpec;
      body.push(x.props & 0xff, x.props >> 8, x.addressType, ...lsbFirst(x.address), x.primaryPhy, x.secondaryPhy, x.sid, x.txPower & 0xff,
        x.rssi & 0xff, x.periodicInterval & 0xff, x.periodicInterval >> 8, x.directAddressType, ...lsbFirst(x.directAddress), x.data.length, ...x.data);
    }
  }
  return Uint8Array.from([0x04, 0x3e, body.length, ...body]);
}

const address = fc.uint8Array({ minLength: 6, maxLength: 6 });
const u8 = fc.integer({ min: 0, max: 255 });
const int8 = fc.integer({ min: -128, max: 127 });
/** AD data: mostly well-formed, sometimes arbitrary (bad AD the guard must cut out). */
const adData = (max: number) => fc.oneof({ weight: 3, arbitrary: adArb(max).map((a) => a.bytes) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: max }) });
const rssiArb = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -127, max: 20 }) }, { weight: 1, arbitrary: int8 });

const legacyReport: fc.Arbitrary<LegacyReportSpec> = fc.record({
  eventType: fc.oneof(fc.integer({ min: 0, max: 4 }), u8), addressType: fc.oneof(fc.constantFrom(0, 1), u8), address, data: adData(31), rssi: rssiArb,
});
const extendedReport: fc.Arbitrary<ExtendedReportSpec> = fc.record({
  eventType: fc.constant(0), addressType: u8, address, data: adData(100), rssi: rssiArb,
  props: fc.integer({ min: 0, max: 0xffff }), primaryPhy: u8, secondaryPhy: u8, sid: u8, txPower: int8,
  periodicInterval: fc.integer({ min: 0, max: 0xffff }), directAddressType: u8, directAddress: address,
});

/** Reports that fit one event (255 parameter bytes). */
function fitting<T extends LegacyReportSpec>(reports: T[], header: number): T[] {
  const out: T[] = [];
  let used = 2;
  for (const r of reports) {
    if (used + header + r.data.length > 255) break;
    out.push(r);
    used += header + r.data.length;
  }
  return out;
}

export const reportsEventArb: fc.Arbitrary<{ extended: boolean; reports: (LegacyReportSpec | ExtendedReportSpec)[]; bytes: Uint8Array }> = fc.oneof(
  fc.array(legacyReport, { minLength: 1, maxLength: 6 }).map((rs) => fitting(rs, 10)).map((reports) => ({ extended: false, reports, bytes: encodeReportsEvent(reports, false) })),
  fc.array(extendedReport, { minLength: 1, maxLength: 4 }).map((rs) => fitting(rs, 24)).filter((rs) => rs.length > 0)
    .map((reports) => ({ extended: true, reports, bytes: encodeReportsEvent(reports, true) })),
);

/** An H4 packet whose header lengths are right (so the guard looks inside it), with random content. */
const framedPacket: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.tuple(fc.constantFrom(0x05, 0x08, 0x0e, 0x0f, 0x13, 0x3e, 0x3e, 0x3e, 0xff), fc.oneof(fc.constantFrom(0x01, 0x02, 0x03, 0x0a, 0x0d), u8), bytesArb(40))
    .map(([code, first, rest]) => Uint8Array.from([0x04, code, rest.length + 1, first, ...rest])),
  fc.tuple(fc.integer({ min: 0, max: 0xffff }), bytesArb(40)).map(([hf, data]) => Uint8Array.from([0x02, hf & 0xff, hf >> 8, data.length & 0xff, data.length >> 8, ...data])),
  fc.tuple(fc.oneof(fc.constantFrom(0x200c, 0x2042, 0x2008), fc.integer({ min: 0, max: 0xffff })), bytesArb(20))
    .map(([op, params]) => Uint8Array.from([0x01, op & 0xff, op >> 8, params.length, ...params])),
  fc.tuple(fc.constantFrom(0x1001, 0x1009, 0x1405, 0x1005, 0x201b, 0x0c6c, 0x2002), fc.integer({ min: 0, max: 3 }), bytesArb(12))
    .map(([op, status, rest]) => Uint8Array.from([0x04, 0x0e, 4 + rest.length, 1, op & 0xff, op >> 8, status, ...rest])),
);

/** Any packet: random bytes, right-length packets with random content, report events whole or damaged. */
export const hciPacketArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 2, arbitrary: bytesArb(300) },
  { weight: 3, arbitrary: framedPacket },
  { weight: 3, arbitrary: reportsEventArb.map((e) => e.bytes) },
  { weight: 4, arbitrary: fc.tuple(fc.oneof(reportsEventArb.map((e) => e.bytes), framedPacket), mutationsArb(3)).map(([b, ms]) => applyMutations(b, ms)) },
);

const ADDRESS = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
const int8Of = (x: number) => (x << 24) >> 24;

function checkResultShape(bytes: Uint8Array): void {
  const result = decodeAdvertisingReports(bytes);
  if (result === null) return;
  assert.ok(result.subevent === 0x02 || result.subevent === 0x0d);
  assert.ok(Number.isInteger(result.malformed) && result.malformed >= 0);
  const b = bytes[0] === 0x04 ? bytes.subarray(1) : bytes;
  const end = Math.min(b.length, 2 + b[1]);
  if (end >= 4) assert.equal(result.reports.length + result.malformed, b[3], 'every announced report is read or counted');
  assert.equal(result.problem === undefined, result.malformed === 0);
  for (const r of result.reports) {
    assert.match(r.address, ADDRESS);
    assert.ok(r.eventType >= 0 && r.eventType <= 4);
    assert.ok(r.rssi >= -128 && r.rssi <= 127);
    if (result.subevent === 0x02) assert.ok(r.data.length <= 31);
    else assert.match(r.extended!.directAddress, ADDRESS);
  }
}

const parserArbitrary: FuzzProperty = {
  name: 'hci: decodeAdvertisingReports on any packet returns null or counted reports, and ignores bytes past the length',
  runs: 100_000,
  build: () => ({
    property: fc.property(hciPacketArb, bytesArb(8), (bytes, extra) => {
      checkResultShape(bytes);
      checkResultShape(bytes.subarray(1)); // the bare event, without the H4 byte
      const b = bytes[0] === 0x04 ? bytes.subarray(1) : bytes;
      if (b.length >= 2 && b.length >= 2 + b[1]) {
        // bytes after the declared parameter length are not part of the event
        const longer = Uint8Array.from([...bytes, ...extra]);
        assert.deepEqual(decodeAdvertisingReports(longer), decodeAdvertisingReports(bytes));
      }
    }),
  }),
};

const parserRoundTrip: FuzzProperty = {
  name: 'hci: encoded legacy and extended report events decode to the same reports (H4 and bare)',
  runs: 40_000,
  build: () => ({
    property: fc.property(reportsEventArb, ({ extended, reports, bytes }) => {
      const result = decodeAdvertisingReports(bytes);
      assert.ok(result);
      assert.deepEqual(decodeAdvertisingReports(bytes.subarray(1)), result, 'bare event = H4 frame');
      assert.equal(result.subevent, extended ? 0x0d : 0x02);
      assert.equal(result.malformed, 0);
      assert.equal(result.reports.length, reports.length);
      reports.forEach((spec, i) => {
        const r = result.reports[i];
        assert.equal(r.address, Array.from(spec.address, (x) => x.toString(16).padStart(2, '0')).join(':'));
        assert.equal(r.addressType, spec.addressType);
        assert.deepEqual(r.data, Uint8Array.from(spec.data));
        assert.equal(r.rssi, int8Of(spec.rssi));
        if (!extended) {
          assert.equal(r.eventType, spec.eventType <= 4 ? spec.eventType : 0x03);
          assert.equal(r.extended, undefined);
        } else {
          const x = spec as ExtendedReportSpec;
          assert.deepEqual(r.extended, {
            eventProperties: x.props, legacy: (x.props & 0x10) !== 0, dataStatus: (x.props >> 5) & 3, primaryPhy: x.primaryPhy,
            secondaryPhy: x.secondaryPhy, sid: x.sid, txPower: x.txPower, periodicIntervalUnits: x.periodicInterval,
            directAddressType: x.directAddressType, directAddress: Array.from(x.directAddress, (v) => v.toString(16).padStart(2, '0')).join(':'),
          });
        }
      });
      // a truncated event: fewer reports, the rest counted as malformed, never a throw
      for (const cut of [bytes.length - 1, Math.floor(bytes.length / 2), 5]) {
        const short = bytes.slice(0, cut);
        short[2] = Math.max(0, short.length - 3);
        const r = decodeAdvertisingReports(short);
        assert.ok(r && r.malformed > 0 && r.reports.length + r.malformed === reports.length);
      }
    }),
  }),
};

const DROP_CODES = ['WAYMARK_ERR_HCI_MALFORMED', 'WAYMARK_ERR_AD_MALFORMED', 'WAYMARK_ERR_RSSI_OUT_OF_RANGE'];

/** What the guard promises about a packet it lets through. */
function checkPassed(packet: Uint8Array, out: Uint8Array): void {
  const again = new HciPacketScreen(null);
  assert.equal(again.screen(out), out, 'what the guard passes, it passes again unchanged');
  if (out !== packet) {
    assert.ok(packet[0] === 0x04 && packet[1] === 0x3e && (packet[3] === 0x02 || packet[3] === 0x0d), 'only report events are rebuilt');
    assert.ok(out[4] < packet[4], 'a rebuilt event has fewer reports');
  }
  if (out[0] === 0x04 && out[1] === 0x3e && (out[3] === 0x02 || out[3] === 0x0d)) {
    const result = decodeAdvertisingReports(out);
    assert.ok(result);
    assert.equal(result.malformed, 0, `the parser reads every report the guard passed: ${result.problem}`);
    assert.equal(result.reports.length, out[4]);
    for (const r of result.reports) {
      assert.equal(adStructuresProblem(r.data), null);
      assert.ok(rssiPlausible(r.rssi & 0xff));
    }
  }
}

const screenArbitrary: FuzzProperty = {
  name: 'hci: HciPacketScreen passes, rebuilds or drops any packet sequence with a code; what passes parses',
  runs: 60_000,
  build: () => ({
    property: fc.property(fc.array(hciPacketArb, { minLength: 1, maxLength: 4 }), (packets) => {
      const screen = new HciPacketScreen(null);
      packets.forEach((packet, i) => {
        const before = { ...screen.counters };
        const copy = packet.slice();
        const out = screen.screen(packet);
        assert.deepEqual(packet, copy, 'the input is not modified');
        if (out === null) {
          assert.ok(screen.lastDrop && DROP_CODES.includes(screen.lastDrop.code), `dropped with a code: ${JSON.stringify(screen.lastDrop)}`);
          assert.equal(screen.counters.dropped, before.dropped + 1);
        } else {
          assert.ok(out instanceof Uint8Array);
          assert.equal(screen.counters.passed, before.passed + 1);
          checkPassed(packet, out);
        }
        assert.equal(screen.counters.passed + screen.counters.dropped, i + 1);
      });
    }),
  }),
};

/** A bluetooth-hci-socket stand-in: the test emits packets on it. */
class FakeHciSocket extends EventEmitter implements HciSocketLike {
  bindRaw(devId = 0): number { return devId; }
  bindUser(devId = 0): number { return devId; }
  bindControl(): number { return 0; }
  start(): void {}
  stop(): void {}
  write(_data: Buffer): void {}
  setFilter(_filter: Buffer): void {}
  isDevUp(): boolean { return true; }
  getDeviceList(): HciDevice[] { return []; }
}

const guardedSocket: FuzzProperty = {
  name: 'hci: guardHciSocket emits exactly what the screen passes, for any packet stream',
  runs: 25_000,
  build: () => {
    const Guarded = guardHciSocket(FakeHciSocket);
    return {
      property: fc.property(fc.array(hciPacketArb, { minLength: 1, maxLength: 6 }), (packets) => {
        const socket = new Guarded();
        socket.bindRaw(0);
        const emitted: Uint8Array[] = [];
        const errors: unknown[] = [];
        socket.on('data', (p: Buffer) => emitted.push(Uint8Array.from(p)));
        socket.on('error', (e: unknown) => errors.push(e));
        const reference = new HciPacketScreen(null);
        const expected: Uint8Array[] = [];
        for (const p of packets) {
          const out = reference.screen(p);
          if (out) expected.push(Uint8Array.from(out));
          socket.inner.emit('data', Buffer.from(p));
        }
        assert.deepEqual(emitted, expected);
        assert.deepEqual(socket.guard.counters, reference.counters);
        assert.deepEqual(errors, []);
      }),
    };
  },
};

export const hciProperties: FuzzProperty[] = [parserArbitrary, parserRoundTrip, screenArbitrary, guardedSocket];
