/**
 * The signed beacon frame: what a kiosk says about itself each epoch (kiosk id, epoch,
 * venue geohash, Tx power) plus an Ed25519 signature by the kiosk key. Pure encode,
 * sign and decode; the byte layout is documented in docs/PROTOCOL.md ("Beacon frames").
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { WaymarkError } from '../core/errors.js';
import { asciiBytes, assertBytes, concatBytes } from './bytes.js';
import { GEOHASH_BYTES, packGeohash, unpackGeohash } from './geohash.js';

/** Frame version 1: Ed25519 signature, 8-byte kiosk id, 85-byte frame. */
export const BEACON_VERSION = 1;
export const KIOSK_ID_BYTES = 8;
export const BEACON_PUBLIC_KEY_BYTES = 32;
export const BEACON_SECRET_KEY_BYTES = 32;
export const BEACON_SIGNATURE_BYTES = 64;
/** Bytes 0..20: everything the signature covers. */
export const BEACON_BODY_BYTES = 21;
export const BEACON_FRAME_BYTES = BEACON_BODY_BYTES + BEACON_SIGNATURE_BYTES; // 85
export const DEFAULT_EPOCH_PERIOD_S = 30;
/** iBeacon's customary "measured power" for a Pi-class radio at 0 dBm, dBm at 1 m. */
export const DEFAULT_TX_POWER_DBM = -59;

/**
 * Prepended to the body before signing and never sent: the kiosk key also signs
 * check-in attestations, and this tag keeps a beacon signature from ever being valid
 * as anything else (and vice versa).
 */
export const BEACON_SIGNING_DOMAIN = asciiBytes('waymark.beacon.v1');

const OFFSET = { version: 0, kioskId: 1, epoch: 9, period: 13, geohash: 14, txPower: 20, signature: 21 } as const;

export interface BeaconFields {
  /** 8 bytes naming the kiosk in the registry; by convention kioskIdFromPublicKey(key). */
  kioskId: Uint8Array;
  /** floor(unix seconds / periodS), uint32. */
  epoch: number;
  /** Epoch period in seconds, 1..255. */
  periodS: number;
  /** The venue's 9-character geohash. */
  geohash: string;
  /** Calibrated RSSI at 1 m from the kiosk, dBm, -128..127. */
  txPower: number;
}

export interface BeaconFrame extends BeaconFields {
  version: number;
  signature: Uint8Array;
  /** The signed bytes (0..20). */
  body: Uint8Array;
  /** All 85 bytes: the GATT characteristic value and what the fragments carry. */
  bytes: Uint8Array;
}

/** The kiosk id a registry assigns by default: the first 8 bytes of SHA-256(public key). */
export function kioskIdFromPublicKey(publicKey: Uint8Array): Uint8Array {
  assertBytes(publicKey, 'publicKey', BEACON_PUBLIC_KEY_BYTES);
  return sha256(publicKey).slice(0, KIOSK_ID_BYTES);
}

export function beaconPublicKey(secretKey: Uint8Array): Uint8Array {
  assertBytes(secretKey, 'secretKey', BEACON_SECRET_KEY_BYTES);
  return ed25519.getPublicKey(secretKey);
}

/** The epoch a Unix time (seconds) falls in. */
export function epochAt(unixSec: number, periodS = DEFAULT_EPOCH_PERIOD_S): number {
  if (!Number.isFinite(unixSec)) throw new RangeError(`unixSec must be a finite number, got ${unixSec}`);
  assertPeriod(periodS);
  return Math.floor(unixSec / periodS);
}

/** The 21 bytes the signature covers, from fields; validates every field. */
export function encodeBeaconBody(fields: BeaconFields): Uint8Array {
  assertBytes(fields.kioskId, 'kioskId', KIOSK_ID_BYTES);
  if (!Number.isInteger(fields.epoch) || fields.epoch < 0 || fields.epoch > 0xffffffff) {
    throw new RangeError(`epoch must be a uint32, got ${fields.epoch}`);
  }
  assertPeriod(fields.periodS);
  if (!Number.isInteger(fields.txPower) || fields.txPower < -128 || fields.txPower > 127) {
    throw new RangeError(`txPower must be an int8 (dBm), got ${fields.txPower}`);
  }
  const body = new Uint8Array(BEACON_BODY_BYTES);
  const view = new DataView(body.buffer);
  body[OFFSET.version] = BEACON_VERSION;
  body.set(fields.kioskId, OFFSET.kioskId);
  view.setUint32(OFFSET.epoch, fields.epoch, false);
  body[OFFSET.period] = fields.periodS;
  body.set(packGeohash(fields.geohash), OFFSET.geohash);
  view.setInt8(OFFSET.txPower, fields.txPower);
  return body;
}

/** The message Ed25519 signs: the domain tag followed by the body. */
export function beaconSigningMessage(body: Uint8Array): Uint8Array {
  return concatBytes(BEACON_SIGNING_DOMAIN, body);
}

/** Encode and sign a frame: 85 bytes. Ed25519 is deterministic, so equal inputs give equal frames. */
export function signBeaconFrame(fields: BeaconFields, secretKey: Uint8Array): Uint8Array {
  assertBytes(secretKey, 'secretKey', BEACON_SECRET_KEY_BYTES);
  const body = encodeBeaconBody(fields);
  return concatBytes(body, ed25519.sign(beaconSigningMessage(body), secretKey));
}

/**
 * Parse a frame without verifying it. Throws WAYMARK_ERR_BEACON_MALFORMED on a wrong
 * length, an unknown version, a zero period or non-zero reserved geohash bits.
 */
export function decodeBeaconFrame(bytes: Uint8Array): BeaconFrame {
  assertBytes(bytes, 'frame');
  if (bytes.length !== BEACON_FRAME_BYTES) {
    throw new WaymarkError('WAYMARK_ERR_BEACON_MALFORMED', `frame is ${bytes.length} bytes, expected ${BEACON_FRAME_BYTES}`, {
      details: { length: bytes.length, expected: BEACON_FRAME_BYTES },
    });
  }
  const version = bytes[OFFSET.version];
  if (version !== BEACON_VERSION) {
    throw new WaymarkError('WAYMARK_ERR_BEACON_MALFORMED', `unsupported frame version ${version}`, { details: { version } });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const periodS = bytes[OFFSET.period];
  if (periodS === 0) throw new WaymarkError('WAYMARK_ERR_BEACON_MALFORMED', 'epoch period is 0', { details: { periodS } });
  const geohash = unpackGeohash(bytes.subarray(OFFSET.geohash, OFFSET.geohash + GEOHASH_BYTES));
  if (geohash === undefined) {
    throw new WaymarkError('WAYMARK_ERR_BEACON_MALFORMED', 'reserved geohash bits are not zero');
  }
  return {
    version,
    kioskId: bytes.slice(OFFSET.kioskId, OFFSET.kioskId + KIOSK_ID_BYTES),
    epoch: view.getUint32(OFFSET.epoch, false),
    periodS,
    geohash,
    txPower: view.getInt8(OFFSET.txPower),
    signature: bytes.slice(OFFSET.signature),
    body: bytes.slice(0, BEACON_BODY_BYTES),
    bytes: bytes.slice(),
  };
}

/** Strict RFC 8032 verification (no ZIP-215 leniency): a signature has exactly one valid encoding. */
export function checkBeaconSignature(frame: BeaconFrame, publicKey: Uint8Array): boolean {
  assertBytes(publicKey, 'publicKey', BEACON_PUBLIC_KEY_BYTES);
  try {
    return ed25519.verify(frame.signature, beaconSigningMessage(frame.body), publicKey, { zip215: false });
  } catch {
    return false; // an invalid public-key or R point encoding
  }
}

function assertPeriod(periodS: number): void {
  if (!Number.isInteger(periodS) || periodS < 1 || periodS > 255) {
    throw new RangeError(`periodS must be an integer 1..255 seconds, got ${periodS}`);
  }
}
