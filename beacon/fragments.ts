/**
 * Splits a signed beacon frame into self-describing fragments (one per Service Data AD)
 * and puts them back together. Each fragment names its index, the fragment count and
 * the low byte of the epoch, so a phone can collect them in any order and never mixes
 * two epochs' frames.
 */
import { WaymarkError } from '../core/errors.js';
import { assertBytes, concatBytes, equalBytes } from './bytes.js';
import { BEACON_FRAME_BYTES, decodeBeaconFrame } from './frame.js';

export const FRAGMENT_HEADER_BYTES = 2;
/** Largest fragment count the 4-bit count field allows. */
export const MAX_FRAGMENTS = 15;
/**
 * Frame bytes per fragment on legacy advertising: 31 bytes of advertising data, minus
 * the Flags AD (3), minus the Service Data AD header (length, type, UUID16: 4), minus the
 * fragment header (2). The scan response has 3 bytes more, but equal fragments let any
 * fragment travel in either PDU.
 */
export const LEGACY_FRAGMENT_PAYLOAD = 31 - 3 - 4 - FRAGMENT_HEADER_BYTES; // 22

export interface BeaconFragment {
  index: number;
  count: number;
  /** epoch & 0xff of the frame the fragment belongs to. */
  epochLow: number;
  payload: Uint8Array;
}

/** The epoch low byte of a frame, read without decoding the rest. */
function frameEpochLow(frame: Uint8Array): number {
  return frame[12];
}

export function encodeBeaconFragment(fragment: BeaconFragment): Uint8Array {
  const { index, count, epochLow, payload } = fragment;
  if (!Number.isInteger(count) || count < 1 || count > MAX_FRAGMENTS) throw new RangeError(`count must be 1..${MAX_FRAGMENTS}, got ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`index must be 0..${count - 1}, got ${index}`);
  if (!Number.isInteger(epochLow) || epochLow < 0 || epochLow > 0xff) throw new RangeError(`epochLow must be a byte, got ${epochLow}`);
  assertBytes(payload, 'payload');
  if (payload.length === 0) throw new RangeError('payload must not be empty');
  return concatBytes(Uint8Array.of((index << 4) | count, epochLow), payload);
}

/** Parse one fragment (a Service Data payload after the UUID); throws WAYMARK_ERR_BEACON_MALFORMED. */
export function decodeBeaconFragment(data: Uint8Array): BeaconFragment {
  assertBytes(data, 'fragment');
  if (data.length <= FRAGMENT_HEADER_BYTES) {
    throw new WaymarkError('WAYMARK_ERR_BEACON_MALFORMED', `fragment is ${data.length} bytes, too short`, { details: { length: data.length } });
  }
  const index = data[0] >> 4;
  const count = data[0] & 0x0f;
  if (count === 0 || index >= count) {
    throw new WaymarkError('WAYMARK_ERR_BEACON_MALFORMED', `fragment header 0x${data[0].toString(16).padStart(2, '0')} has index ${index} of count ${count}`, {
      details: { index, count },
    });
  }
  return { index, count, epochLow: data[1], payload: data.slice(FRAGMENT_HEADER_BYTES) };
}

/**
 * Split a signed frame into fragments of at most `maxPayload` frame bytes each:
 * 4 fragments (22, 22, 22, 19 bytes) for legacy advertising, 1 for extended advertising.
 */
export function fragmentBeaconFrame(frame: Uint8Array, maxPayload = LEGACY_FRAGMENT_PAYLOAD): Uint8Array[] {
  decodeBeaconFrame(frame); // refuse to broadcast something the verifier would refuse
  if (!Number.isInteger(maxPayload) || maxPayload < 1) throw new RangeError(`maxPayload must be a positive integer, got ${maxPayload}`);
  const count = Math.ceil(frame.length / maxPayload);
  if (count > MAX_FRAGMENTS) throw new RangeError(`maxPayload ${maxPayload} needs ${count} fragments, more than ${MAX_FRAGMENTS}`);
  const epochLow = frameEpochLow(frame);
  const out: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    out.push(encodeBeaconFragment({ index, count, epochLow, payload: frame.subarray(index * maxPayload, (index + 1) * maxPayload) }));
  }
  return out;
}

/**
 * Put fragments back together into the 85-byte frame (not yet verified). Order does not
 * matter and identical duplicates are ignored. Throws WAYMARK_ERR_BEACON_MALFORMED,
 * _FRAGMENT_MISMATCH (different epochs or counts, two different copies of one index,
 * a frame whose epoch disagrees with its fragments) or _INCOMPLETE (details.missing).
 */
export function reassembleBeaconFrame(fragments: readonly Uint8Array[]): Uint8Array {
  if (fragments.length === 0) {
    throw new WaymarkError('WAYMARK_ERR_BEACON_INCOMPLETE', 'no fragments', { details: { have: [], missing: [] } });
  }
  const parsed = fragments.map((f) => decodeBeaconFragment(f));
  const { count, epochLow } = parsed[0];
  const slots: (Uint8Array | undefined)[] = new Array(count).fill(undefined);
  for (const f of parsed) {
    if (f.count !== count || f.epochLow !== epochLow) {
      throw new WaymarkError('WAYMARK_ERR_BEACON_FRAGMENT_MISMATCH', `fragment ${f.index}/${f.count} of epoch byte ${f.epochLow} mixed with ${count} fragments of epoch byte ${epochLow}`, {
        details: { count, epochLow, otherCount: f.count, otherEpochLow: f.epochLow },
      });
    }
    const seen = slots[f.index];
    if (seen !== undefined && !equalBytes(seen, f.payload)) {
      throw new WaymarkError('WAYMARK_ERR_BEACON_FRAGMENT_MISMATCH', `two different copies of fragment ${f.index}`, { details: { index: f.index } });
    }
    slots[f.index] = f.payload;
  }
  const missing = slots.flatMap((s, i) => (s === undefined ? [i] : []));
  if (missing.length > 0) {
    const have = slots.flatMap((s, i) => (s === undefined ? [] : [i]));
    throw new WaymarkError('WAYMARK_ERR_BEACON_INCOMPLETE', `have fragments [${have.join(', ')}] of ${count}, missing [${missing.join(', ')}]`, {
      details: { have, missing, count },
    });
  }
  const frame = concatBytes(...(slots as Uint8Array[]));
  if (frame.length !== BEACON_FRAME_BYTES) {
    throw new WaymarkError('WAYMARK_ERR_BEACON_MALFORMED', `fragments hold ${frame.length} bytes, expected ${BEACON_FRAME_BYTES}`, {
      details: { length: frame.length, expected: BEACON_FRAME_BYTES },
    });
  }
  if (frameEpochLow(frame) !== epochLow) {
    throw new WaymarkError('WAYMARK_ERR_BEACON_FRAGMENT_MISMATCH', `frame epoch byte ${frameEpochLow(frame)} but fragments say ${epochLow}`, {
      details: { frameEpochLow: frameEpochLow(frame), epochLow },
    });
  }
  return frame;
}
