/**
 * The byte layout of a BLE tap check-in response (docs/PROTOCOL.md, "BLE tap check-in"):
 * one message cut into notification-sized chunks with a one-byte sequence number, the
 * first carrying the length and status. Pure and Uint8Array-only, so a phone SDK can share it.
 */
import { WaymarkError } from '../../core/errors.js';

/** Status byte of a response message. */
export const TapStatus = {
  /** The body is the handler's bytes (the signed attestation). */
  OK: 0x00,
  /** The body is a Waymark error code in ASCII, e.g. WAYMARK_ERR_CHECKIN_TOO_FAR. */
  ERROR: 0x01,
} as const;

export type TapMessage = { ok: true; body: Uint8Array } | { ok: false; code: string };

/** Bytes the first chunk spends on its header: seq, length (u16 LE), status. */
export const FIRST_CHUNK_HEADER = 4;
/** The smallest chunk that carries data after the first header (ATT_MTU 23 gives 20). */
export const MIN_CHUNK_SIZE = FIRST_CHUNK_HEADER + 1;
export const MAX_BODY_LENGTH = 0xffff;

function frameError(detail: string): WaymarkError {
  return new WaymarkError('WAYMARK_ERR_CHECKIN_TAP_FAILED', `response frame: ${detail}`, { details: { reason: 'frame' } });
}

/** Cuts a message into chunks of at most `chunkSize` bytes (ATT_MTU - 3 for notifications). */
export function encodeTapResponse(message: TapMessage, chunkSize: number): Uint8Array[] {
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE) throw new RangeError(`chunkSize must be an integer >= ${MIN_CHUNK_SIZE}, got ${chunkSize}`);
  const body = message.ok ? message.body : new TextEncoder().encode(message.code);
  if (body.length > MAX_BODY_LENGTH) throw new RangeError(`body must be at most ${MAX_BODY_LENGTH} bytes, got ${body.length}`);
  const chunks: Uint8Array[] = [];
  const firstData = Math.min(body.length, chunkSize - FIRST_CHUNK_HEADER);
  const first = new Uint8Array(FIRST_CHUNK_HEADER + firstData);
  first[0] = 0;
  first[1] = body.length & 0xff;
  first[2] = body.length >> 8;
  first[3] = message.ok ? TapStatus.OK : TapStatus.ERROR;
  first.set(body.subarray(0, firstData), FIRST_CHUNK_HEADER);
  chunks.push(first);
  for (let off = firstData, seq = 1; off < body.length; off += chunkSize - 1, seq++) {
    const part = body.subarray(off, Math.min(body.length, off + chunkSize - 1));
    const chunk = new Uint8Array(1 + part.length);
    chunk[0] = seq & 0xff;
    chunk.set(part, 1);
    chunks.push(chunk);
  }
  return chunks;
}

/** Puts a response back together chunk by chunk; throws WAYMARK_ERR_CHECKIN_TAP_FAILED (reason `frame`) on a gap or a bad header. */
export class TapResponseAssembler {
  #expectedSeq = 0;
  #length = -1;
  #status = 0;
  #body: Uint8Array = new Uint8Array(0);
  #filled = 0;
  #done = false;
  #chunks = 0;

  /** Chunks taken so far. */
  get chunks(): number {
    return this.#chunks;
  }

  /** Takes one notification; returns the message once its last byte arrived, else null. */
  push(chunk: Uint8Array): TapMessage | null {
    if (this.#done) throw frameError('chunk after the end of the message');
    if (chunk.length === 0) throw frameError('empty chunk');
    if (chunk[0] !== (this.#expectedSeq & 0xff)) throw frameError(`chunk ${chunk[0]} where ${this.#expectedSeq & 0xff} was due`);
    let data: Uint8Array;
    if (this.#length < 0) {
      if (chunk.length < FIRST_CHUNK_HEADER) throw frameError('first chunk shorter than its header');
      this.#length = chunk[1] | (chunk[2] << 8);
      this.#status = chunk[3];
      if (this.#status !== TapStatus.OK && this.#status !== TapStatus.ERROR) throw frameError(`unknown status 0x${this.#status.toString(16)}`);
      this.#body = new Uint8Array(this.#length);
      data = chunk.subarray(FIRST_CHUNK_HEADER);
    } else {
      data = chunk.subarray(1);
    }
    if (this.#filled + data.length > this.#length) throw frameError(`more than the ${this.#length} bytes announced`);
    this.#body.set(data, this.#filled);
    this.#filled += data.length;
    this.#expectedSeq++;
    this.#chunks++;
    if (this.#filled < this.#length) return null;
    this.#done = true;
    if (this.#status === TapStatus.OK) return { ok: true, body: this.#body };
    return { ok: false, code: new TextDecoder().decode(this.#body) };
  }
}
