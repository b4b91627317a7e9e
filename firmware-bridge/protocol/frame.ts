/**
 * Pure encode/decode of one serial-link frame to and from the co-processor: header, payload,
 * CRC-16/CCITT-FALSE, COBS with 0x00 delimiters. Byte layout: docs/PROTOCOL.md "Serial link".
 */
import { WaymarkError } from '../../core/errors.js';

/** Protocol version this code speaks; carried in every header. */
export const PROTOCOL_VERSION = 1;
/** version, type, seq (u16 LE), id, payload length (u16 LE). */
export const HEADER_LENGTH = 7;
export const CRC_LENGTH = 2;
/** Largest payload either side may send; a length field above this is rejected. */
export const MAX_PAYLOAD_LENGTH = 2048;
/** Largest decoded frame: header + payload + CRC. */
export const MAX_FRAME_LENGTH = HEADER_LENGTH + MAX_PAYLOAD_LENGTH + CRC_LENGTH;
/** Largest COBS-encoded frame between two delimiters: COBS adds 1 + floor(n / 254) bytes at most. */
export const MAX_ENCODED_LENGTH = MAX_FRAME_LENGTH + 1 + Math.floor(MAX_FRAME_LENGTH / 254);
export const DELIMITER = 0x00;

export const FrameType = {
  REQUEST: 0x01,
  RESPONSE: 0x02,
  EVENT: 0x03,
  ERROR: 0x04,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];
const FRAME_TYPES = new Set<number>(Object.values(FrameType));

export interface Frame {
  version: number;
  type: FrameType;
  /** Request/response pairing number (u16); events carry the firmware's own event counter. */
  seq: number;
  /** Command id for requests, responses and errors; event id for events. */
  id: number;
  payload: Uint8Array;
}

/** Why a frame was rejected; carried in the WaymarkError's details as `reason`. */
export type FrameErrorReason = 'cobs' | 'short' | 'crc' | 'length' | 'oversized' | 'type';

function frameError(reason: FrameErrorReason, detail: string, details: Record<string, unknown> = {}): WaymarkError {
  return new WaymarkError('WAYMARK_ERR_SERIAL_FRAME', detail, { details: { reason, ...details } });
}

const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    table[i] = c;
  }
  return table;
})();

/** CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor; check("123456789") = 0x29B1. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc;
}

/** COBS-encode `input` (no delimiters added); the output contains no 0x00 byte. */
export function cobsEncode(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(input.length + Math.ceil(input.length / 254) + 1);
  let codeAt = 0;
  let o = 1;
  let code = 1;
  for (let i = 0; i < input.length; i++) {
    const b = input[i];
    if (b === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
    } else {
      out[o++] = b;
      code++;
      if (code === 0xff) {
        out[codeAt] = code;
        codeAt = o++;
        code = 1;
      }
    }
  }
  out[codeAt] = code;
  return out.subarray(0, o);
}

/**
 * COBS-decode `input[start, end)` into `out` (which must hold end - start bytes); returns the
 * decoded length, or -1 if the bytes are not valid COBS (a zero byte or a code past the end).
 */
export function cobsDecodeInto(input: Uint8Array, start: number, end: number, out: Uint8Array): number {
  let i = start;
  let o = 0;
  while (i < end) {
    const code = input[i++];
    if (code === 0) return -1;
    const stop = i + code - 1;
    if (stop > end) return -1;
    while (i < stop) {
      const b = input[i++];
      if (b === 0) return -1;
      out[o++] = b;
    }
    if (code !== 0xff && i < end) out[o++] = 0;
  }
  return o;
}

export function cobsDecode(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(input.length);
  const n = cobsDecodeInto(input, 0, input.length, out);
  if (n < 0) throw frameError('cobs', 'invalid COBS encoding');
  return out.slice(0, n);
}

function assertByteField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${name} must be an integer 0..${max}, got ${value}`);
}

/** Header + payload + CRC, before COBS. */
export function packFrame(frame: Frame): Uint8Array {
  assertByteField('version', frame.version, 0xff);
  if (!FRAME_TYPES.has(frame.type)) throw new RangeError(`type must be one of ${[...FRAME_TYPES].join(', ')}, got ${frame.type}`);
  assertByteField('seq', frame.seq, 0xffff);
  assertByteField('id', frame.id, 0xff);
  if (!(frame.payload instanceof Uint8Array)) throw new TypeError('payload must be a Uint8Array');
  if (frame.payload.length > MAX_PAYLOAD_LENGTH) {
    throw new RangeError(`payload must be at most ${MAX_PAYLOAD_LENGTH} bytes, got ${frame.payload.length}`);
  }
  const n = frame.payload.length;
  const out = new Uint8Array(HEADER_LENGTH + n + CRC_LENGTH);
  out[0] = frame.version;
  out[1] = frame.type;
  out[2] = frame.seq & 0xff;
  out[3] = frame.seq >> 8;
  out[4] = frame.id;
  out[5] = n & 0xff;
  out[6] = n >> 8;
  out.set(frame.payload, HEADER_LENGTH);
  const crc = crc16(out, 0, HEADER_LENGTH + n);
  out[HEADER_LENGTH + n] = crc & 0xff;
  out[HEADER_LENGTH + n + 1] = crc >> 8;
  return out;
}

/** Why `bytes[0, length)` is not a frame, with the message the error would carry. */
export interface FrameRejection {
  reason: FrameErrorReason;
  detail: string;
  details: Record<string, unknown>;
}

/**
 * Parse a decoded (un-COBSed) frame `bytes[0, length)` without throwing: the parser meets
 * line noise all the time, and building an exception per garbage run is the slow part.
 */
export function tryUnpackFrame(bytes: Uint8Array, length = bytes.length): Frame | FrameRejection {
  if (length < HEADER_LENGTH + CRC_LENGTH) {
    return { reason: 'short', detail: `frame of ${length} bytes is shorter than header + CRC (${HEADER_LENGTH + CRC_LENGTH})`, details: { length } };
  }
  const payloadLength = bytes[5] | (bytes[6] << 8);
  if (payloadLength > MAX_PAYLOAD_LENGTH) {
    return { reason: 'oversized', detail: `payload length ${payloadLength} exceeds the maximum ${MAX_PAYLOAD_LENGTH}`, details: { payloadLength } };
  }
  const got = bytes[length - 2] | (bytes[length - 1] << 8);
  const want = crc16(bytes, 0, length - CRC_LENGTH);
  if (got !== want) return { reason: 'crc', detail: `CRC 0x${hex16(got)} does not match computed 0x${hex16(want)}`, details: { got, want } };
  if (HEADER_LENGTH + payloadLength + CRC_LENGTH !== length) {
    return {
      reason: 'length',
      detail: `payload length field ${payloadLength} does not match the ${length - HEADER_LENGTH - CRC_LENGTH} bytes received`,
      details: { payloadLength },
    };
  }
  const type = bytes[1];
  if (!FRAME_TYPES.has(type)) return { reason: 'type', detail: `unknown frame type 0x${type.toString(16).padStart(2, '0')}`, details: { type } };
  return {
    version: bytes[0],
    type: type as FrameType,
    seq: bytes[2] | (bytes[3] << 8),
    id: bytes[4],
    payload: bytes.slice(HEADER_LENGTH, HEADER_LENGTH + payloadLength),
  };
}

export function isFrameRejection(x: Frame | FrameRejection): x is FrameRejection {
  return 'reason' in x;
}

export function rejectionError(r: FrameRejection): WaymarkError {
  return frameError(r.reason, r.detail, r.details);
}

/** Parse a decoded (un-COBSed) frame `bytes[0, length)`; throws WAYMARK_ERR_SERIAL_FRAME. */
export function unpackFrame(bytes: Uint8Array, length = bytes.length): Frame {
  const r = tryUnpackFrame(bytes, length);
  if (isFrameRejection(r)) throw rejectionError(r);
  return r;
}

/** The bytes put on the wire for one frame: 0x00, COBS(header + payload + CRC), 0x00. */
export function encodeFrame(frame: Frame): Uint8Array {
  const body = cobsEncode(packFrame(frame));
  const out = new Uint8Array(body.length + 2);
  out.set(body, 1);
  return out;
}

/** Decode one wire frame (leading and trailing 0x00 optional); throws WAYMARK_ERR_SERIAL_FRAME. */
export function decodeFrame(wire: Uint8Array): Frame {
  let start = 0;
  let end = wire.length;
  if (start < end && wire[start] === DELIMITER) start++;
  if (end > start && wire[end - 1] === DELIMITER) end--;
  if (end - start > MAX_ENCODED_LENGTH) {
    throw frameError('oversized', `encoded frame of ${end - start} bytes exceeds the maximum ${MAX_ENCODED_LENGTH}`, { length: end - start });
  }
  const out = new Uint8Array(end - start);
  const n = cobsDecodeInto(wire, start, end, out);
  if (n < 0) throw frameError('cobs', 'invalid COBS encoding (a 0x00 inside the frame or a code past its end)');
  return unpackFrame(out, n);
}

function hex16(n: number): string {
  return n.toString(16).padStart(4, '0');
}
