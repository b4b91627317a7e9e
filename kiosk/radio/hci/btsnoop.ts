/**
 * btsnoop capture files (Android HCI snoop log, `btmon -w`, read by Wireshark): a buffered
 * writer and a reader that survives damaged files. `waymark replay` reads captures with it;
 * the simulator writes them.
 */

import { open, type FileHandle } from 'node:fs/promises';
import { WaymarkError } from '../../../core/errors.js';

// ---------------------------------------------------------------------------------------
// File layout. All integers are big-endian.
//   header: "btsnoop\0" | version u32 = 1 | datalink u32
//   record: original length u32 | included length u32 | flags u32 | cumulative drops u32 |
//           timestamp i64, microseconds since midnight 1 Jan of year 0 | included bytes
// ---------------------------------------------------------------------------------------

export const BTSNOOP_MAGIC = Uint8Array.from([0x62, 0x74, 0x73, 0x6e, 0x6f, 0x6f, 0x70, 0x00]); // "btsnoop\0"
export const BTSNOOP_VERSION = 1;
export const BTSNOOP_HEADER_BYTES = 16;
export const BTSNOOP_RECORD_HEADER_BYTES = 24;
/** Microseconds from 0000-01-01T00:00 to the Unix epoch, as btsnoop counts them. */
export const BTSNOOP_EPOCH_OFFSET_US = 0x00dcddb30f2f8000n;

export const BtsnoopDatalink = {
  /** HCI packets without the H4 type byte; the record flags say what they are. */
  HCI_UNENCAPSULATED: 1001,
  /** HCI UART (H4): each packet starts with its type byte. What Android writes and we write. */
  HCI_UART: 1002,
  /** BlueZ monitor format, what `btmon -w` writes: flags carry adapter index and opcode. */
  MONITOR: 2001,
} as const;

/** The H4 packet type indicators (first byte of a UART frame). */
export const H4PacketType = { COMMAND: 0x01, ACL: 0x02, SCO: 0x03, EVENT: 0x04, ISO: 0x05 } as const;

export type HciPacketKind = 'command' | 'event' | 'acl' | 'sco' | 'iso';
export type HciDirection = 'sent' | 'received';

const KIND_BY_H4: Record<number, HciPacketKind> = { 1: 'command', 2: 'acl', 3: 'sco', 4: 'event', 5: 'iso' };
const H4_BY_KIND: Record<HciPacketKind, number> = { command: 1, acl: 2, sco: 3, event: 4, iso: 5 };

/** BlueZ monitor opcodes that carry HCI packets; the others (index added, notes, ...) are skipped. */
const MONITOR_OPCODES: Record<number, [HciPacketKind, HciDirection]> = {
  2: ['command', 'sent'],
  3: ['event', 'received'],
  4: ['acl', 'sent'],
  5: ['acl', 'received'],
  6: ['sco', 'sent'],
  7: ['sco', 'received'],
  18: ['iso', 'sent'],
  19: ['iso', 'received'],
};

/** Larger than any HCI packet (ACL tops out at 4 + 65535 bytes); beyond it a length is corrupt. */
const MAX_RECORD_BYTES = 1 << 20;

export interface BtsnoopRecord {
  /** ms since the Unix epoch, with the file's microsecond resolution (may be fractional). */
  timeMs: number;
  /** Exact timestamp, µs since the Unix epoch. */
  timestampUs: bigint;
  /** The raw record flags (meaning depends on the datalink). */
  flags: number;
  /** The file's cumulative drop counter at this record. */
  drops: number;
  direction: HciDirection;
  kind: HciPacketKind;
  /** The packet as an H4 frame: type indicator byte, then the HCI packet (added when the file has none). */
  bytes: Uint8Array;
  /** Length of the packet on the wire; larger than the captured bytes when the capture was snapped. */
  originalLength: number;
  /** Controller index, only in monitor (2001) files. */
  adapter?: number;
}

export function usToTimeMs(timestampUs: bigint): number {
  return Number(timestampUs) / 1000;
}

export function timeMsToUs(timeMs: number): bigint {
  if (!Number.isFinite(timeMs)) throw new RangeError(`timeMs must be finite, got ${timeMs}`);
  return BigInt(Math.round(timeMs * 1000));
}

/** The 16-byte file header. */
export function encodeBtsnoopHeader(datalink: number = BtsnoopDatalink.HCI_UART): Uint8Array {
  const out = new Uint8Array(BTSNOOP_HEADER_BYTES);
  out.set(BTSNOOP_MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, BTSNOOP_VERSION);
  view.setUint32(12, datalink);
  return out;
}

/** H4 record flags: bit 0 = received (controller to host), bit 1 = command or event (not data). */
export function h4RecordFlags(kind: HciPacketKind, direction: HciDirection): number {
  return (direction === 'received' ? 1 : 0) | (kind === 'command' || kind === 'event' ? 2 : 0);
}

function encodeRecordInto(
  target: Uint8Array, view: DataView, offset: number, timeMs: number, flags: number, bytes: Uint8Array, drops: number,
): number {
  view.setUint32(offset, bytes.length);
  view.setUint32(offset + 4, bytes.length);
  view.setUint32(offset + 8, flags);
  view.setUint32(offset + 12, drops);
  view.setBigInt64(offset + 16, timeMsToUs(timeMs) + BTSNOOP_EPOCH_OFFSET_US);
  target.set(bytes, offset + BTSNOOP_RECORD_HEADER_BYTES);
  return offset + BTSNOOP_RECORD_HEADER_BYTES + bytes.length;
}

/** One record (24-byte header + bytes) for an H4 file; pure, for vectors and tests. */
export function encodeBtsnoopRecord(timeMs: number, flags: number, bytes: Uint8Array, drops = 0): Uint8Array {
  const out = new Uint8Array(BTSNOOP_RECORD_HEADER_BYTES + bytes.length);
  encodeRecordInto(out, new DataView(out.buffer), 0, timeMs, flags, bytes, drops);
  return out;
}

function checkFrame(frame: Uint8Array, kind: HciPacketKind, what: string): void {
  if (!(frame instanceof Uint8Array) || frame.length < 2) {
    throw new RangeError(`${what}: frame must be a Uint8Array H4 frame of at least 2 bytes`);
  }
  if (frame[0] !== H4_BY_KIND[kind]) {
    throw new RangeError(
      `${what}: frame must start with the H4 ${kind} indicator 0x0${H4_BY_KIND[kind]}, got 0x${frame[0].toString(16).padStart(2, '0')}`,
    );
  }
}

export interface BtsnoopWriterOptions {
  /** Records are gathered in memory and written once this many bytes are pending. Default 64 KiB. */
  bufferBytes?: number;
}

/**
 * Writes an H4 (datalink 1002) btsnoop file. Records are buffered and written in large
 * chunks in the background; `flush()` waits for everything written so far, `close()` ends
 * the file. A background write failure is thrown from the next flush() or close().
 */
export class BtsnoopWriter {
  readonly path: string;
  #file: FileHandle;
  #bufferBytes: number;
  #buf: Uint8Array;
  #view: DataView;
  #used = 0;
  #pending: Promise<void> = Promise.resolve();
  #failure: unknown = null;
  #closed = false;
  #records = 0;

  private constructor(path: string, file: FileHandle, bufferBytes: number) {
    this.path = path;
    this.#file = file;
    this.#bufferBytes = bufferBytes;
    this.#buf = new Uint8Array(bufferBytes);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Creates (or truncates) the file and writes the header. */
  static async create(path: string, options: BtsnoopWriterOptions = {}): Promise<BtsnoopWriter> {
    const bufferBytes = options.bufferBytes ?? 64 * 1024;
    if (!Number.isInteger(bufferBytes) || bufferBytes < 64) throw new RangeError(`bufferBytes must be an integer >= 64, got ${bufferBytes}`);
    const file = await open(path, 'w');
    const writer = new BtsnoopWriter(path, file, bufferBytes);
    writer.#append(encodeBtsnoopHeader(BtsnoopDatalink.HCI_UART));
    return writer;
  }

  get recordsWritten(): number {
    return this.#records;
  }

  /** An HCI event from the controller; `frame` is the H4 frame starting with 0x04. */
  writeHciEvent(timeMs: number, frame: Uint8Array): void {
    checkFrame(frame, 'event', 'writeHciEvent');
    this.#record(timeMs, h4RecordFlags('event', 'received'), frame);
  }

  /** An HCI command from the host; `frame` is the H4 frame starting with 0x01. */
  writeHciCommand(timeMs: number, frame: Uint8Array): void {
    checkFrame(frame, 'command', 'writeHciCommand');
    this.#record(timeMs, h4RecordFlags('command', 'sent'), frame);
  }

  /** Any H4 frame; the kind is taken from its first byte. */
  writeH4(timeMs: number, frame: Uint8Array, direction: HciDirection): void {
    const kind = KIND_BY_H4[frame[0]];
    if (kind === undefined) throw new RangeError(`writeH4: unknown H4 packet type 0x${(frame[0] ?? 0).toString(16)}`);
    this.#record(timeMs, h4RecordFlags(kind, direction), frame);
  }

  #record(timeMs: number, flags: number, frame: Uint8Array): void {
    if (this.#closed) throw new Error(`BtsnoopWriter for ${this.path} is closed`);
    const size = BTSNOOP_RECORD_HEADER_BYTES + frame.length;
    if (this.#used + size > this.#bufferBytes) this.#drain();
    if (size > this.#bufferBytes) {
      this.#append(encodeBtsnoopRecord(timeMs, flags, frame));
    } else {
      this.#used = encodeRecordInto(this.#buf, this.#view, this.#used, timeMs, flags, frame, 0);
    }
    this.#records++;
  }

  #append(bytes: Uint8Array): void {
    if (this.#used + bytes.length > this.#bufferBytes) this.#drain();
    if (bytes.length > this.#bufferBytes) {
      this.#enqueue(bytes);
      return;
    }
    this.#buf.set(bytes, this.#used);
    this.#used += bytes.length;
  }

  /** Hands the filled part of the buffer to the background writer and starts a fresh buffer. */
  #drain(): void {
    if (this.#used === 0) return;
    const chunk = this.#buf.subarray(0, this.#used);
    this.#buf = new Uint8Array(this.#bufferBytes);
    this.#view = new DataView(this.#buf.buffer);
    this.#used = 0;
    this.#enqueue(chunk);
  }

  #enqueue(chunk: Uint8Array): void {
    this.#pending = this.#pending.then(async () => {
      if (this.#failure !== null) return;
      try {
        let done = 0;
        while (done < chunk.length) {
          const { bytesWritten } = await this.#file.write(chunk, done, chunk.length - done);
          done += bytesWritten;
        }
      } catch (err) {
        this.#failure = err;
      }
    });
  }

  /** Waits until every record written so far is in the file. */
  async flush(): Promise<void> {
    this.#drain();
    await this.#pending;
    if (this.#failure !== null) throw this.#failure;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      await this.#file.close();
    }
  }
}

// ---------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------

export interface BtsnoopStats {
  /** The header's datalink, once read. */
  datalink: number | null;
  /** HCI packet records handed out. */
  records: number;
  /** Records read but not HCI packets (monitor notes, index events) or unusable (empty, unknown type). */
  skipped: number;
  /** How many things were wrong with the file; the first 100 are described in `problems`. */
  problemCount: number;
  problems: string[];
  /** True once the end of the file was reached without a truncated or corrupt record. */
  complete: boolean;
}

function newStats(): BtsnoopStats {
  return { datalink: null, records: 0, skipped: 0, problemCount: 0, problems: [], complete: false };
}

function problem(stats: BtsnoopStats, message: string): void {
  stats.problemCount++;
  if (stats.problems.length < 100) stats.problems.push(message);
}

function parseHeader(bytes: Uint8Array, source: string): number {
  if (bytes.length < BTSNOOP_HEADER_BYTES) {
    throw new WaymarkError('WAYMARK_ERR_FILE_FORMAT', `${source} is not a btsnoop file: only ${bytes.length} of the 16 header bytes`);
  }
  for (let i = 0; i < BTSNOOP_MAGIC.length; i++) {
    if (bytes[i] !== BTSNOOP_MAGIC[i]) {
      throw new WaymarkError('WAYMARK_ERR_FILE_FORMAT', `${source} is not a btsnoop file: it does not start with "btsnoop\\0"`, {
        details: { magic: Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('') },
      });
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, BTSNOOP_HEADER_BYTES);
  const version = view.getUint32(8);
  if (version !== BTSNOOP_VERSION) {
    throw new WaymarkError('WAYMARK_ERR_FILE_FORMAT', `${source}: btsnoop version ${version} is not supported (only 1)`);
  }
  const datalink = view.getUint32(12);
  if (datalink !== 1001 && datalink !== 1002 && datalink !== 2001) {
    throw new WaymarkError(
      'WAYMARK_ERR_FILE_FORMAT',
      `${source}: btsnoop datalink ${datalink} is not HCI (expected 1001 un-encapsulated, 1002 H4 or 2001 BlueZ monitor)`,
    );
  }
  return datalink;
}

type Step =
  | { type: 'record'; record: BtsnoopRecord | null; next: number }
  | { type: 'need-more' }
  | { type: 'corrupt'; message: string };

/** Decodes the record at `off`; `record: null` means a record that was read but skipped. */
function decodeRecordAt(bytes: Uint8Array, off: number, datalink: number, index: number, stats: BtsnoopStats, fileOffset: number): Step {
  if (bytes.length - off < BTSNOOP_RECORD_HEADER_BYTES) return { type: 'need-more' };
  const view = new DataView(bytes.buffer, bytes.byteOffset + off, BTSNOOP_RECORD_HEADER_BYTES);
  const originalLength = view.getUint32(0);
  const included = view.getUint32(4);
  const flags = view.getUint32(8);
  const drops = view.getUint32(12);
  const stamp = view.getBigInt64(16);
  if (included > MAX_RECORD_BYTES || included > originalLength) {
    return {
      type: 'corrupt',
      message: `record ${index} at byte ${fileOffset}: included length ${included} is impossible (original length ${originalLength}); stopped reading`,
    };
  }
  if (bytes.length - off < BTSNOOP_RECORD_HEADER_BYTES + included) return { type: 'need-more' };
  const next = off + BTSNOOP_RECORD_HEADER_BYTES + included;
  const body = bytes.subarray(off + BTSNOOP_RECORD_HEADER_BYTES, next);
  const timestampUs = stamp - BTSNOOP_EPOCH_OFFSET_US;

  let kind: HciPacketKind | undefined;
  let direction: HciDirection;
  let frame: Uint8Array;
  let adapter: number | undefined;
  if (datalink === BtsnoopDatalink.HCI_UART) {
    direction = flags & 1 ? 'received' : 'sent';
    kind = KIND_BY_H4[body[0]];
    if (kind === undefined) {
      stats.skipped++;
      problem(stats, `record ${index} at byte ${fileOffset}: ${included === 0 ? 'empty packet' : `unknown H4 packet type 0x${body[0].toString(16)}`}; skipped`);
      return { type: 'record', record: null, next };
    }
    frame = body.slice();
  } else {
    if (datalink === BtsnoopDatalink.HCI_UNENCAPSULATED) {
      direction = flags & 1 ? 'received' : 'sent';
      kind = flags & 2 ? (direction === 'sent' ? 'command' : 'event') : 'acl';
    } else {
      const op = MONITOR_OPCODES[flags & 0xffff];
      if (op === undefined) {
        stats.skipped++;
        return { type: 'record', record: null, next };
      }
      [kind, direction] = op;
      adapter = flags >>> 16;
    }
    frame = new Uint8Array(included + 1);
    frame[0] = H4_BY_KIND[kind];
    frame.set(body, 1);
  }
  const record: BtsnoopRecord = {
    timeMs: usToTimeMs(timestampUs), timestampUs, flags, drops, direction, kind, bytes: frame, originalLength,
  };
  if (adapter !== undefined) record.adapter = adapter;
  return { type: 'record', record, next };
}

/**
 * Reads the records of a btsnoop capture held in memory. A bad header throws WaymarkError
 * WAYMARK_ERR_FILE_FORMAT on the first step; a damaged record never throws: iteration ends
 * and `stats` says what was wrong.
 */
export function parseBtsnoop(bytes: Uint8Array, source = 'capture'): Iterable<BtsnoopRecord> & { readonly stats: BtsnoopStats } {
  const stats = newStats();
  return {
    stats,
    *[Symbol.iterator]() {
      const datalink = parseHeader(bytes, source);
      stats.datalink = datalink;
      let off = BTSNOOP_HEADER_BYTES;
      let index = 0;
      while (off < bytes.length) {
        const step = decodeRecordAt(bytes, off, datalink, index, stats, off);
        if (step.type === 'corrupt') return problem(stats, step.message);
        if (step.type === 'need-more') {
          return problem(stats, `record ${index} at byte ${off}: truncated, the file ends ${bytes.length - off} bytes into it`);
        }
        off = step.next;
        index++;
        if (step.record) {
          stats.records++;
          yield step.record;
        }
      }
      stats.complete = true;
    },
  };
}

export interface ReadBtsnoopOptions {
  /** Bytes read from the file at a time. Default 256 KiB. */
  chunkBytes?: number;
}

/**
 * Streams the records of a btsnoop file (datalinks 1001, 1002 and 2001) without loading it
 * whole. Same error behaviour as parseBtsnoop: a bad header throws WAYMARK_ERR_FILE_FORMAT,
 * a damaged record ends iteration and is counted in `stats`.
 */
export function readBtsnoop(path: string, options: ReadBtsnoopOptions = {}): AsyncIterable<BtsnoopRecord> & { readonly stats: BtsnoopStats } {
  const stats = newStats();
  const chunkBytes = options.chunkBytes ?? 256 * 1024;
  return {
    stats,
    async *[Symbol.asyncIterator]() {
      const file = await open(path, 'r');
      try {
        let buf = new Uint8Array(0);
        let eof = false;
        /** File offset of buf[0]. */
        let base = 0;
        const fill = async (): Promise<void> => {
          const chunk = new Uint8Array(chunkBytes);
          const { bytesRead } = await file.read(chunk, 0, chunkBytes, null);
          if (bytesRead === 0) {
            eof = true;
            return;
          }
          const joined = new Uint8Array(buf.length + bytesRead);
          joined.set(buf, 0);
          joined.set(chunk.subarray(0, bytesRead), buf.length);
          buf = joined;
        };

        while (buf.length < BTSNOOP_HEADER_BYTES && !eof) await fill();
        const datalink = parseHeader(buf, path);
        stats.datalink = datalink;
        let off = BTSNOOP_HEADER_BYTES;
        let index = 0;
        for (;;) {
          if (off === buf.length) {
            if (eof) break;
            base += off;
            buf = new Uint8Array(0);
            off = 0;
            await fill();
            continue;
          }
          const step = decodeRecordAt(buf, off, datalink, index, stats, base + off);
          if (step.type === 'corrupt') return problem(stats, step.message);
          if (step.type === 'need-more') {
            if (eof) {
              return problem(stats, `record ${index} at byte ${base + off}: truncated, the file ends ${buf.length - off} bytes into it`);
            }
            buf = buf.subarray(off);
            base += off;
            off = 0;
            await fill();
            continue;
          }
          off = step.next;
          index++;
          if (step.record) {
            stats.records++;
            yield step.record;
          }
        }
        stats.complete = true;
      } finally {
        await file.close();
      }
    },
  };
}
