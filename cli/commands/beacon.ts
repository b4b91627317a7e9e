/**
 * `waymark beacon encode` and `waymark beacon verify`: make a signed beacon frame with
 * its fragments and advertising bytes from a key, and check frames or fragments captured
 * from the air against a kiosk public key, the way a phone does.
 */
import type { CliCommand } from '../command.js';
import { booleanFlag, hexFlag, intFlag, numberFlag, parseHex, stringFlag, stringsFlag, usage } from '../flags.js';
import {
  BEACON_FRAME_BYTES, BEACON_SERVICE_UUID, DEFAULT_EPOCH_PERIOD_S, DEFAULT_TX_POWER_DBM, DEFAULT_EPOCH_SKEW,
  beaconFragmentsInAd, beaconPublicKey, beaconSchedule, epochAt, extendedAdvertisingData, fragmentBeaconFrame,
  isGeohash9, kioskIdFromPublicKey, signBeaconFrame, toHex, verifyBeaconFragments, verifyBeaconFrame,
  type BeaconVerifyResult,
} from '../../beacon/index.js';

// Declared apart from the commands so the help text's `description` (read by
// cli/main.ts) is allowed next to node:util's option fields.
const encodeOptions = {
  key: { type: 'string', description: 'kiosk Ed25519 secret key, 64 hex digits (required)' },
  kiosk: { type: 'string', description: 'kiosk id, 16 hex digits (default: first 8 bytes of SHA-256(public key))' },
  geohash: { type: 'string', description: 'venue geohash, 9 characters (required)' },
  epoch: { type: 'string', description: 'epoch number (default: the epoch of --now)' },
  now: { type: 'string', description: 'Unix time in seconds used when --epoch is absent (default: now)' },
  period: { type: 'string', description: `epoch period, seconds 1..255 (default ${DEFAULT_EPOCH_PERIOD_S})` },
  'tx-power': { type: 'string', description: `calibrated RSSI at 1 m, dBm (default ${DEFAULT_TX_POWER_DBM})` },
  json: { type: 'boolean', description: 'print one JSON object' },
} as const;

const verifyOptions = {
  pubkey: { type: 'string', description: 'kiosk Ed25519 public key, 64 hex digits (required)' },
  frames: { type: 'string', multiple: true, description: 'hex items, comma-separated or repeated: fragments, AD bytes or a whole frame (required)' },
  now: { type: 'string', description: 'the phone clock, Unix seconds (default: now)' },
  skew: { type: 'string', description: `epochs of clock difference accepted (default ${DEFAULT_EPOCH_SKEW})` },
  rssi: { type: 'string', description: 'RSSI to report with the result, dBm' },
  json: { type: 'boolean', description: 'print one JSON object' },
} as const;

export const beaconEncodeCommand: CliCommand = {
  name: 'beacon encode',
  summary: 'Sign a beacon frame and print its fragments, advertising pages, extended form and public key',
  options: encodeOptions,
  usage: `Fragments are Service Data payloads for UUID 0x${BEACON_SERVICE_UUID.toUpperCase()} (after the UUID); pages are the full
advertisement / scan response bytes to cycle through in the epoch (docs/PROTOCOL.md, "Beacon frames").
Example:
  waymark beacon encode --key 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60 \\
    --kiosk 0102030405060708 --geohash u4pruydqq --epoch 59000000 --json`,
  async run({ values }, io) {
    const secretKey = hexFlag(values, 'key', { bytes: 32, required: true });
    const publicKey = beaconPublicKey(secretKey);
    const kioskId = hexFlag(values, 'kiosk', { bytes: 8 }) ?? kioskIdFromPublicKey(publicKey);
    const geohash = stringFlag(values, 'geohash', { required: true });
    if (!isGeohash9(geohash)) usage(`--geohash must be 9 geohash characters (0-9, b-z without a, i, l, o), got '${geohash}'`, 'geohash');
    const periodS = intFlag(values, 'period', { min: 1, max: 255 }) ?? DEFAULT_EPOCH_PERIOD_S;
    const txPower = intFlag(values, 'tx-power', { min: -128, max: 127 }) ?? DEFAULT_TX_POWER_DBM;
    const nowSec = numberFlag(values, 'now') ?? Date.now() / 1000;
    const epoch = intFlag(values, 'epoch', { min: 0, max: 0xffffffff }) ?? epochAt(nowSec, periodS);

    const frame = signBeaconFrame({ kioskId, epoch, periodS, geohash, txPower }, secretKey);
    const out = {
      version: frame[0],
      kiosk: toHex(kioskId),
      publicKey: toHex(publicKey),
      epoch,
      periodS,
      geohash,
      txPower,
      serviceUuid: BEACON_SERVICE_UUID,
      frame: toHex(frame),
      fragments: fragmentBeaconFrame(frame).map(toHex),
      pages: beaconSchedule(frame).map((p) => ({ advertisement: toHex(p.advertisement), scanResponse: toHex(p.scanResponse), fragments: p.fragments })),
      extended: toHex(extendedAdvertisingData(frame)),
    };
    if (booleanFlag(values, 'json')) {
      io.stdout(JSON.stringify(out) + '\n');
    } else {
      const lines = [
        `kiosk       ${out.kiosk}`,
        `public key  ${out.publicKey}`,
        `epoch       ${epoch} (period ${periodS} s, ${new Date(epoch * periodS * 1000).toISOString()})`,
        `geohash     ${geohash}   tx power ${txPower} dBm`,
        `frame       ${out.frame}`,
        ...out.fragments.map((f, i) => `fragment ${i}  ${f}`),
        ...out.pages.map((p, i) => `page ${i}      adv ${p.advertisement}\n            rsp ${p.scanResponse}`),
        `extended    ${out.extended}`,
      ];
      io.stdout(lines.join('\n') + '\n');
    }
    return 0;
  },
};

export const beaconVerifyCommand: CliCommand = {
  name: 'beacon verify',
  summary: 'Verify beacon fragments (or a whole frame) against a kiosk public key at a given time',
  options: verifyOptions,
  usage: `Each --frames item is one of: a fragment (Service Data payload after the UUID), AD bytes
holding fragments (an advertisement or scan response), or a whole ${BEACON_FRAME_BYTES}-byte frame (the GATT value).
Exit code 0 when valid, 1 when not (the JSON names the error code), 2 for bad usage.
Example:
  waymark beacon verify --pubkey HEX --frames FRAG0,FRAG1,FRAG2,FRAG3 --now 1770000000 --json`,
  async run({ values }, io) {
    const publicKey = hexFlag(values, 'pubkey', { bytes: 32, required: true });
    const items = stringsFlag(values, 'frames')
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (items.length === 0) usage('--frames needs at least one hex item');
    const nowSec = numberFlag(values, 'now') ?? Date.now() / 1000;
    const skewEpochs = intFlag(values, 'skew', { min: 0, max: 1000 }) ?? DEFAULT_EPOCH_SKEW;
    const rssi = numberFlag(values, 'rssi');
    const options = { skewEpochs, ...(rssi === undefined ? {} : { rssi }) };

    const bytes = items.map((hex, i) => parseHex(`--frames item ${i}`, hex));
    const wholeFrames = bytes.filter((b) => b.length === BEACON_FRAME_BYTES);
    let result: BeaconVerifyResult;
    if (wholeFrames.length > 0) {
      if (bytes.length > 1) usage(`a whole ${BEACON_FRAME_BYTES}-byte frame must be the only --frames item`);
      result = verifyBeaconFrame(bytes[0], publicKey, nowSec, options);
    } else {
      result = verifyBeaconFragments(bytes.flatMap(fragmentsOf), publicKey, nowSec, options);
    }

    if (result.valid) {
      const { frame, ...beacon } = result.beacon;
      const out = { valid: true, ...beacon, frame: toHex(frame) };
      io.stdout(booleanFlag(values, 'json') ? JSON.stringify(out) + '\n' : `valid: kiosk ${beacon.kiosk} at ${beacon.geohash}, epoch ${beacon.epoch} (skew ${beacon.epochSkew})\n`);
      return 0;
    }
    const { error } = result;
    const out = { valid: false, error: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
    if (booleanFlag(values, 'json')) io.stdout(JSON.stringify(out) + '\n');
    else io.stdout(`invalid: ${error.message} (${error.code})\n`);
    return 1;
  },
};

export const beaconCommands: CliCommand[] = [beaconEncodeCommand, beaconVerifyCommand];

/** AD bytes holding Waymark Service Data give their fragments; anything else is taken as one fragment. */
function fragmentsOf(item: Uint8Array): Uint8Array[] {
  try {
    const found = beaconFragmentsInAd(item);
    if (found.length > 0) return found;
  } catch {
    // not AD bytes
  }
  return [item];
}
