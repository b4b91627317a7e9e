/**
 * The phone-side check of a beacon frame: well formed, signed by the kiosk key, and
 * from the current epoch of the phone's clock (±1 epoch). Returns a result instead of
 * throwing, since a phone checks a stream of frames and most failures are expected.
 */
import { WaymarkError, isWaymarkError } from '../core/errors.js';
import { assertBytes, toHex } from './bytes.js';
import { BEACON_PUBLIC_KEY_BYTES, checkBeaconSignature, decodeBeaconFrame, type BeaconFrame } from './frame.js';
import { reassembleBeaconFrame } from './fragments.js';

/** Epochs a frame may be away from the phone's own: a frame two epochs old is refused. */
export const DEFAULT_EPOCH_SKEW = 1;

export interface VerifiedBeacon {
  /** Kiosk id, 16 lower-case hex digits. */
  kiosk: string;
  geohash: string;
  epoch: number;
  periodS: number;
  /** Calibrated RSSI at 1 m announced by the kiosk, dBm. */
  txPower: number;
  /** Received signal strength (mean over the fragments that made the frame), dBm; absent when unknown. */
  rssi?: number;
  /** The phone's epoch minus the frame's: -1, 0 or 1 with the default skew. */
  epochSkew: number;
  /** The 85 verified bytes. */
  frame: Uint8Array;
}

export type BeaconVerifyResult = { valid: true; beacon: VerifiedBeacon } | { valid: false; error: WaymarkError };

export interface BeaconVerifyOptions {
  /** Largest |phone epoch - frame epoch| accepted; default 1. */
  skewEpochs?: number;
  /** RSSI to report with the result, dBm. */
  rssi?: number;
}

/**
 * Verify a whole frame (the GATT value, or the extended advertising fragment's payload)
 * against the kiosk's public key at the phone's time `nowSec` (Unix seconds).
 * Checks, in order: layout (_MALFORMED), signature (_BAD_SIGNATURE), epoch (_EPOCH).
 */
export function verifyBeaconFrame(frame: Uint8Array, publicKey: Uint8Array, nowSec: number, options: BeaconVerifyOptions = {}): BeaconVerifyResult {
  assertBytes(frame, 'frame');
  assertBytes(publicKey, 'publicKey', BEACON_PUBLIC_KEY_BYTES);
  let decoded: BeaconFrame;
  try {
    decoded = decodeBeaconFrame(frame);
  } catch (err) {
    return failure(err);
  }
  return verifyDecodedBeacon(decoded, publicKey, nowSec, options);
}

/** Reassemble fragments (any order, duplicates allowed) and verify the frame they make. */
export function verifyBeaconFragments(fragments: readonly Uint8Array[], publicKey: Uint8Array, nowSec: number, options: BeaconVerifyOptions = {}): BeaconVerifyResult {
  assertBytes(publicKey, 'publicKey', BEACON_PUBLIC_KEY_BYTES);
  let frame: Uint8Array;
  try {
    frame = reassembleBeaconFrame(fragments);
  } catch (err) {
    return failure(err);
  }
  return verifyBeaconFrame(frame, publicKey, nowSec, options);
}

/** Signature and epoch checks of an already decoded frame (the assembler's path). */
export function verifyDecodedBeacon(frame: BeaconFrame, publicKey: Uint8Array, nowSec: number, options: BeaconVerifyOptions = {}): BeaconVerifyResult {
  const skewEpochs = options.skewEpochs ?? DEFAULT_EPOCH_SKEW;
  if (!Number.isFinite(nowSec)) throw new RangeError(`nowSec must be a finite number, got ${nowSec}`);
  if (!Number.isInteger(skewEpochs) || skewEpochs < 0) throw new RangeError(`skewEpochs must be a non-negative integer, got ${skewEpochs}`);
  const kiosk = toHex(frame.kioskId);
  // The signature is checked before the epoch so that _EPOCH always means "genuine but
  // stale (or early)", never "forged": a replay is told apart from a forgery.
  if (!checkBeaconSignature(frame, publicKey)) {
    return {
      valid: false,
      error: new WaymarkError('WAYMARK_ERR_BEACON_BAD_SIGNATURE', `frame claiming kiosk ${kiosk}, epoch ${frame.epoch}`, {
        details: { kiosk, epoch: frame.epoch },
      }),
    };
  }
  const nowEpoch = Math.floor(nowSec / frame.periodS);
  const epochSkew = nowEpoch - frame.epoch;
  if (Math.abs(epochSkew) > skewEpochs) {
    return {
      valid: false,
      error: new WaymarkError('WAYMARK_ERR_BEACON_EPOCH', `frame epoch ${frame.epoch}, phone epoch ${nowEpoch} (period ${frame.periodS} s, ±${skewEpochs} accepted)`, {
        details: { kiosk, epoch: frame.epoch, nowEpoch, periodS: frame.periodS, skewEpochs },
      }),
    };
  }
  return {
    valid: true,
    beacon: {
      kiosk,
      geohash: frame.geohash,
      epoch: frame.epoch,
      periodS: frame.periodS,
      txPower: frame.txPower,
      ...(options.rssi === undefined ? {} : { rssi: options.rssi }),
      epochSkew,
      frame: frame.bytes,
    },
  };
}

/**
 * Log-distance path-loss estimate of the distance to the kiosk, metres:
 * d = 10 ^ ((txPower - rssi) / (10 n)), n = 2 in free space, 2.5-4 indoors. An RSSI far
 * stronger or weaker than the venue's layout allows is the hint of a relayed beacon.
 */
export function estimateBeaconDistanceM(rssi: number, txPower: number, pathLossExponent = 2): number {
  if (!(pathLossExponent > 0)) throw new RangeError(`pathLossExponent must be > 0, got ${pathLossExponent}`);
  return 10 ** ((txPower - rssi) / (10 * pathLossExponent));
}

function failure(err: unknown): BeaconVerifyResult {
  if (isWaymarkError(err)) return { valid: false, error: err };
  throw err;
}
