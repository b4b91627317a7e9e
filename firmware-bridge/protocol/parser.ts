/**
 * Splits the co-processor's byte stream into frames on 0x00 delimiters, keeping partial frames
 * across chunks and resyncing at the next delimiter after garbage, a bad CRC or an oversized run.
 * It never throws: every rejected frame is counted and reported, not raised.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { WaymarkError } from '../../core/errors.js';
import {
  cobsDecodeInto,
  DELIMITER,
  isFrameRejection,
  MAX_ENCODED_LENGTH,
  rejectionError,
  tryUnpackFrame,
  type Frame,
  type FrameRejection,
} from './frame.js';

export interface FrameParserStats {
  /** Frames decoded and delivered. */
  frames: number;
  /** Frames dropped because their CRC did not match. */
  crcErrors: number;
  /** Frames dropped for bad COBS, a short frame, a length mismatch or an unknown type. */
  malformed: number;
  /** Runs longer than the largest encoded frame, or a payload length field over the maximum. */
  oversized: number;
  /** Times the parser threw away bytes and started over at the next delimiter. */
  resyncs: number;
  /** Bytes thrown away. */
  droppedBytes: number;
}

export type FrameRejectListener = (err: WaymarkError) => void;

/** A push-style frame splitter: `push(chunk)` returns the frames completed by that chunk. */
export class FrameParser {
  readonly #encoded = new Uint8Array(MAX_ENCODED_LENGTH);
  readonly #decoded = new Uint8Array(MAX_ENCODED_LENGTH);
  #length = 0;
  /** Inside a run that outgrew MAX_ENCODED_LENGTH: drop until the next delimiter. */
  #skipping = false;
  #stats: FrameParserStats = { frames: 0, crcErrors: 0, malformed: 0, oversized: 0, resyncs: 0, droppedBytes: 0 };
  readonly #onReject: FrameRejectListener | undefined;

  constructor(options: { onReject?: FrameRejectListener } = {}) {
    this.#onReject = options.onReject;
  }

  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    if (!(chunk instanceof Uint8Array)) return frames;
    try {
      this.#scan(chunk, frames);
    } catch (err) {
      // only a bug gets here; drop the partial frame rather than break the caller's stream
      this.#length = 0;
      this.#skipping = true;
      this.#stats.malformed++;
      this.#stats.resyncs++;
      this.#report(new WaymarkError('WAYMARK_ERR_INTERNAL', `frame parser: ${String(err)}`, { cause: err }));
    }
    return frames;
  }

  #scan(chunk: Uint8Array, frames: Frame[]): void {
    const buf = this.#encoded;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === DELIMITER) {
        if (this.#skipping) {
          this.#skipping = false;
        } else if (this.#length > 0) {
          const frame = this.#finish();
          if (frame) frames.push(frame);
        }
        this.#length = 0;
      } else if (this.#skipping) {
        this.#stats.droppedBytes++;
      } else if (this.#length === MAX_ENCODED_LENGTH) {
        this.#stats.oversized++;
        this.#stats.resyncs++;
        this.#stats.droppedBytes += this.#length + 1;
        this.#length = 0;
        this.#skipping = true;
        if (this.#onReject) {
          this.#report(new WaymarkError('WAYMARK_ERR_SERIAL_FRAME', `no delimiter within ${MAX_ENCODED_LENGTH} bytes`, { details: { reason: 'oversized' } }));
        }
      } else {
        buf[this.#length++] = b;
      }
    }
  }

  /** Forget a partial frame, e.g. after the port was reopened. */
  reset(): void {
    if (this.#length > 0 || this.#skipping) {
      this.#stats.droppedBytes += this.#length;
      this.#stats.resyncs++;
    }
    this.#length = 0;
    this.#skipping = false;
  }

  stats(): FrameParserStats {
    return { ...this.#stats };
  }

  #finish(): Frame | undefined {
    const n = cobsDecodeInto(this.#encoded, 0, this.#length, this.#decoded);
    const result: Frame | FrameRejection =
      n < 0 ? { reason: 'cobs', detail: 'invalid COBS encoding', details: {} } : tryUnpackFrame(this.#decoded, n);
    if (!isFrameRejection(result)) {
      this.#stats.frames++;
      return result;
    }
    if (result.reason === 'crc') this.#stats.crcErrors++;
    else if (result.reason === 'oversized') this.#stats.oversized++;
    else this.#stats.malformed++;
    this.#stats.resyncs++;
    this.#stats.droppedBytes += this.#length;
    if (this.#onReject) this.#report(rejectionError(result));
    return undefined;
  }

  #report(err: WaymarkError): void {
    if (!this.#onReject) return;
    try {
      this.#onReject(err);
    } catch {
      // a failing listener must not break the byte stream
    }
  }
}

/** The same parser as a Transform: bytes in, Frame objects out; rejected frames are emitted as 'reject'. */
export class FrameParserStream extends Transform {
  readonly parser: FrameParser;

  constructor() {
    super({ readableObjectMode: true });
    this.parser = new FrameParser({ onReject: (err) => this.emit('reject', err) });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const frame of this.parser.push(chunk)) this.push(frame);
    callback();
  }
}
