/**
 * Fuzz properties of the btsnoop reader (kiosk/radio/hci/btsnoop.ts): arbitrary bytes, valid
 * captures of all three datalinks (round trip through the record encoder), valid captures with
 * random damage (every record before the damage still comes out), and the streaming reader
 * agreeing with the in-memory one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  BTSNOOP_HEADER_BYTES, BtsnoopDatalink, encodeBtsnoopHeader, encodeBtsnoopRecord, parseBtsnoop, readBtsnoop,
  type BtsnoopRecord, type BtsnoopStats, type HciPacketKind,
} from '../../kiosk/radio/hci/btsnoop.js';
import { bytesArb, firstDifference, mutationsArb, applyMutations, parseOrRefuse, parseOrRefuseAsync, type FuzzProperty } from './harness.js';

const KIND_BY_H4: Record<number, HciPacketKind> = { 1: 'command', 2: 'acl', 3: 'sco', 4: 'event', 5: 'iso' };
const H4_BY_KIND: Record<HciPacketKind, number> = { command: 1, acl: 2, sco: 3, event: 4, iso: 5 };
const MONITOR: Record<number, [HciPacketKind, 'sent' | 'received']> = {
  2: ['command', 'sent'], 3: ['event', 'received'], 4: ['acl', 'sent'], 5: ['acl', 'received'],
  6: ['sco', 'sent'], 7: ['sco', 'received'], 18: ['iso', 'sent'], 19: ['iso', 'received'],
};

interface RecordSpec {
  us: number;
  flags: number;
  drops: number;
  body: Uint8Array;
  /** Bytes the packet had on the wire beyond the captured ones (a snapped capture). */
  snapped: number;
}

interface CaptureSpec {
  datalink: number;
  records: RecordSpec[];
  bytes: Uint8Array;
  /** End offset of each record in `bytes`. */
  ends: number[];
}

function recordArb(datalink: number): fc.Arbitrary<RecordSpec> {
  const flags = datalink === BtsnoopDatalink.MONITOR
    ? fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...Object.keys(MONITOR).map(Number)) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }), fc.integer({ min: 0, max: 0xffff }))
      .map(([op, adapter]) => ((adapter << 16) | op) >>> 0)
    : fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffffffff }));
  const body = datalink === BtsnoopDatalink.HCI_UART
    ? fc.oneof({ weight: 5, arbitrary: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.uint8Array({ maxLength: 40 })).map(([t, rest]) => Uint8Array.from([t, ...rest])) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }) })
    : fc.uint8Array({ maxLength: 40 });
  return fc.record({
    us: fc.oneof(fc.integer({ min: 0, max: 2_000_000_000_000_000 }), fc.integer({ min: -1_000_000_000, max: 1_000_000_000 })),
    flags,
    drops: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
    body,
    snapped: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 1000 }) }),
  });
}

function encodeCapture(datalink: number, records: RecordSpec[]): CaptureSpec {
  const parts: Uint8Array[] = [encodeBtsnoopHeader(datalink)];
  const ends: number[] = [];
  let at = BTSNOOP_HEADER_BYTES;
  for (const r of records) {
    const rec = encodeBtsnoopRecord(r.us / 1000, r.flags, r.body, r.drops);
    new DataView(rec.buffer).setUint32(0, r.body.length + r.snapped);
    parts.push(rec);
    at += rec.length;
    ends.push(at);
  }
  return { datalink, records, bytes: Uint8Array.from(parts.flatMap((p) => [...p])), ends };
}

export const captureArb: fc.Arbitrary<CaptureSpec> = fc.constantFrom(BtsnoopDatalink.HCI_UART, BtsnoopDatalink.HCI_UNENCAPSULATED, BtsnoopDatalink.MONITOR)
  .chain((datalink) => fc.array(recordArb(datalink), { maxLength: 8 }).map((records) => encodeCapture(datalink, records)));

/** What the reader must make of a record spec; null when it is skipped. */
function expectedRecord(datalink: number, r: RecordSpec): Partial<BtsnoopRecord> | null {
  let kind: HciPacketKind;
  let direction: 'sent' | 'received';
  let bytes: Uint8Array;
  let adapter: number | undefined;
  if (datalink === BtsnoopDatalink.HCI_UART) {
    if (KIND_BY_H4[r.body[0]] === undefined) return null;
    kind = KIND_BY_H4[r.body[0]];
    direction = r.flags & 1 ? 'received' : 'sent';
    bytes = Uint8Array.from(r.body);
  } else {
    if (datalink === BtsnoopDatalink.HCI_UNENCAPSULATED) {
      direction = r.flags & 1 ? 'received' : 'sent';
      kind = r.flags & 2 ? (direction === 'sent' ? 'command' : 'event') : 'acl';
    } else {
      const op = MONITOR[r.flags & 0xffff];
      if (!op) return null;
      [kind, direction] = op;
      adapter = r.flags >>> 16;
    }
    bytes = Uint8Array.from([H4_BY_KIND[kind], ...r.body]);
  }
  return {
    timestampUs: BigInt(r.us), flags: r.flags, drops: r.drops, direction, kind, bytes, originalLength: r.body.length + r.snapped,
    ...(adapter === undefined ? {} : { adapter }),
  };
}

function comparable(r: BtsnoopRecord): Partial<BtsnoopRecord> {
  const { timeMs: _t, ...rest } = r;
  return { ...rest, bytes: Uint8Array.from(r.bytes) };
}

/** Reads everything; a header error is the only thing allowed to escape, and only WAYMARK_ERR_FILE_FORMAT. */
function readAll(bytes: Uint8Array): { records: BtsnoopRecord[]; stats: BtsnoopStats; headerError: boolean } {
  const capture = parseBtsnoop(bytes, 'fuzz');
  const records: BtsnoopRecord[] = [];
  const r = parseOrRefuse('parseBtsnoop', ['WAYMARK_ERR_FILE_FORMAT'], () => {
    for (const rec of capture) records.push(rec);
  });
  if (!r.ok) assert.equal(records.length, 0, 'a file-format error comes before any record');
  return { records, stats: capture.stats, headerError: !r.ok };
}

function checkStats(stats: BtsnoopStats, records: BtsnoopRecord[], headerError: boolean): void {
  assert.equal(stats.records, records.length);
  assert.ok(stats.problems.length <= 100 && stats.problems.length <= stats.problemCount);
  if (headerError) assert.ok(!stats.complete && stats.datalink === null);
  else {
    assert.ok([1001, 1002, 2001].includes(stats.datalink!));
    if (!stats.complete) assert.ok(stats.problemCount >= 1, 'an incomplete read says why');
  }
  for (const r of records) {
    assert.equal(KIND_BY_H4[r.bytes[0]], r.kind);
    assert.ok(r.direction === 'sent' || r.direction === 'received');
    assert.ok(r.bytes.length >= 1 && r.originalLength >= r.bytes.length - (stats.datalink === 1002 ? 0 : 1));
    assert.equal(r.timeMs, Number(r.timestampUs) / 1000);
  }
}

const arbitraryBytes: FuzzProperty = {
  name: 'btsnoop: parseBtsnoop on arbitrary bytes (with and without a valid header) never throws past the header',
  runs: 80_000,
  build: () => ({
    property: fc.property(
      fc.oneof(
        bytesArb(120),
        fc.tuple(fc.constantFrom(1001, 1002, 2001, 1003, 0), bytesArb(150)).map(([dl, rest]) => Uint8Array.from([...encodeBtsnoopHeader(dl), ...rest])),
      ),
      (bytes) => {
        const { records, stats, headerError } = readAll(bytes);
        checkStats(stats, records, headerError);
      },
    ),
  }),
};

const roundTrip: FuzzProperty = {
  name: 'btsnoop: valid captures of datalinks 1001/1002/2001 read back record for record',
  runs: 20_000,
  build: () => ({
    property: fc.property(captureArb, (capture) => {
      const { records, stats, headerError } = readAll(capture.bytes);
      assert.equal(headerError, false);
      checkStats(stats, records, false);
      assert.ok(stats.complete);
      const expected = capture.records.map((r) => expectedRecord(capture.datalink, r)).filter((r) => r !== null);
      assert.deepEqual(records.map(comparable), expected);
      assert.equal(stats.skipped, capture.records.length - expected.length);
    }),
  }),
};

const damaged: FuzzProperty = {
  name: 'btsnoop: damaged captures never throw past the header, and every record before the damage still reads',
  runs: 30_000,
  build: () => ({
    property: fc.property(captureArb, mutationsArb(4), (capture, ms) => {
      const bytes = applyMutations(capture.bytes, ms);
      const { records, stats, headerError } = readAll(bytes);
      checkStats(stats, records, headerError);
      const first = firstDifference(capture.bytes, bytes);
      if (headerError) {
        assert.ok(first < BTSNOOP_HEADER_BYTES, 'only a damaged header is refused');
        return;
      }
      const intact = capture.records.filter((_, i) => capture.ends[i] <= first);
      const expected = intact.map((r) => expectedRecord(capture.datalink, r)).filter((r) => r !== null);
      if (first >= BTSNOOP_HEADER_BYTES) assert.deepEqual(records.slice(0, expected.length).map(comparable), expected);
    }),
  }),
};

const streaming: FuzzProperty = {
  name: 'btsnoop: readBtsnoop (any chunk size) yields what parseBtsnoop yields, on valid and damaged files',
  runs: 1_500,
  build: () => {
    const dir = mkdtempSync(join(tmpdir(), 'waymark-fuzz-btsnoop-'));
    const path = join(dir, 'capture.btsnoop');
    return {
      property: fc.asyncProperty(
        fc.oneof(captureArb.map((c) => c.bytes), fc.tuple(captureArb, mutationsArb(3)).map(([c, ms]) => applyMutations(c.bytes, ms)), bytesArb(60)),
        fc.integer({ min: 1, max: 80 }),
        async (bytes, chunkBytes) => {
          writeFileSync(path, bytes);
          const memory = readAll(bytes);
          const stream = readBtsnoop(path, { chunkBytes });
          const records: BtsnoopRecord[] = [];
          const r = await parseOrRefuseAsync('readBtsnoop', ['WAYMARK_ERR_FILE_FORMAT'], async () => {
            for await (const rec of stream) records.push(rec);
          });
          assert.equal(!r.ok, memory.headerError);
          assert.deepEqual(records.map(comparable), memory.records.map(comparable));
          assert.deepEqual(stream.stats, memory.stats);
        },
      ),
      close: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

export const btsnoopProperties: FuzzProperty[] = [arbitraryBytes, roundTrip, damaged, streaming];
