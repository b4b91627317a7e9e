/**
 * Puts frames on the serial link: encodes each to its wire bytes and hands them to a sink (the
 * serial port stream), counting what went out. Either side of the link uses it.
 */
import { encodeFrame, type Frame } from './frame.js';

/** Anything bytes can be written to: a SerialPortStream, a Duplex, a test array. */
export interface ByteSink {
  write(chunk: Uint8Array): unknown;
}

export interface FrameWriterStats {
  frames: number;
  bytes: number;
}

export class FrameWriter {
  readonly #sink: ByteSink;
  #stats: FrameWriterStats = { frames: 0, bytes: 0 };

  constructor(sink: ByteSink) {
    this.#sink = sink;
  }

  /** Encode and write one frame; throws RangeError/TypeError if the frame cannot be encoded. */
  write(frame: Frame): Uint8Array {
    const wire = encodeFrame(frame);
    this.#sink.write(Buffer.from(wire.buffer, wire.byteOffset, wire.byteLength));
    this.#stats.frames++;
    this.#stats.bytes += wire.length;
    return wire;
  }

  stats(): FrameWriterStats {
    return { ...this.#stats };
  }
}

/** Request sequence numbers: 1..65535, wrapping, never 0 (0 is left for frames outside a pairing). */
export class SequenceCounter {
  #next: number;

  constructor(start = 1) {
    this.#next = start;
  }

  next(): number {
    const seq = this.#next;
    this.#next = seq >= 0xffff ? 1 : seq + 1;
    return seq;
  }
}
