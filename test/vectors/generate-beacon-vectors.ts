/**
 * Regenerates test/vectors/beacon-vectors.json, the golden beacon frames shared by the
 * encoder and verifier tests and meant for firmware authors: valid frames with every
 * encoding, and invalid inputs each with the error code the spec requires.
 * Deterministic (fixed RFC 8032 test keys; Ed25519 signing is deterministic):
 *   node --import tsx test/vectors/generate-beacon-vectors.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  BEACON_FRAME_BYTES, beaconPublicKey, beaconSchedule, beaconSigningMessage, concatBytes, encodeBeaconBody,
  encodeBeaconFragment, extendedAdvertisingData, fragmentBeaconFrame, fromHex, kioskIdFromPublicKey,
  LEGACY_FRAGMENT_PAYLOAD, signBeaconFrame, toHex, type BeaconFields,
} from '../../beacon/index.js';

export const BEACON_VECTORS_FILE = fileURLToPath(new URL('./beacon-vectors.json', import.meta.url));

/** RFC 8032 section 7.1 test secret keys 1-3: public, so anyone can re-derive everything. */
const KEYS = {
  kioskA: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  kioskB: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
  other: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
} as const;
type KeyName = keyof typeof KEYS;

/** Ed25519 group order L; S + L is the non-canonical twin of a signature's S. */
const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;

const B = {
  MALFORMED: 'WAYMARK_ERR_BEACON_MALFORMED',
  BAD_SIGNATURE: 'WAYMARK_ERR_BEACON_BAD_SIGNATURE',
  EPOCH: 'WAYMARK_ERR_BEACON_EPOCH',
  INCOMPLETE: 'WAYMARK_ERR_BEACON_INCOMPLETE',
  FRAGMENT_MISMATCH: 'WAYMARK_ERR_BEACON_FRAGMENT_MISMATCH',
} as const;

interface InvalidVector {
  name: string;
  publicKey: string;
  /** Phone clock, Unix seconds. */
  now: number;
  /** Exactly one of: a whole frame (verifyBeaconFrame) or fragments (verifyBeaconFragments). */
  frame?: string;
  fragments?: string[];
  error: string;
}

function sk(name: KeyName): Uint8Array {
  return fromHex(KEYS[name]);
}
function pk(name: KeyName): Uint8Array {
  return beaconPublicKey(sk(name));
}
/** The middle of the frame's epoch, plus `epochs` epochs. */
function nowFor(fields: BeaconFields, epochs = 0): number {
  return (fields.epoch + epochs) * fields.periodS + Math.floor(fields.periodS / 2);
}
/** Sign arbitrary body bytes, bypassing the encoder's checks, for frames the encoder refuses to make. */
function signRawBody(body: Uint8Array, key: Uint8Array): Uint8Array {
  return concatBytes(body, ed25519.sign(beaconSigningMessage(body), key));
}

export function buildBeaconVectors(): unknown {
  const fieldsA: BeaconFields = { kioskId: kioskIdFromPublicKey(pk('kioskA')), epoch: 59_000_000, periodS: 30, geohash: 'u4pruydqq', txPower: -59 };
  const fieldsB: BeaconFields = { kioskId: kioskIdFromPublicKey(pk('kioskB')), epoch: 59_000_000, periodS: 30, geohash: 'dr5regw3p', txPower: -65 };
  const validSpecs: { name: string; key: KeyName; fields: BeaconFields }[] = [
    { name: 'kiosk A, default kiosk id, 30 s epochs', key: 'kioskA', fields: fieldsA },
    { name: 'kiosk B, same epoch', key: 'kioskB', fields: fieldsB },
    { name: 'kiosk A, registry-assigned kiosk id, 10 s epochs', key: 'kioskA', fields: { kioskId: fromHex('0102030405060708'), epoch: 177_000_123, periodS: 10, geohash: 'gcpvj0duq', txPower: -70 } },
    { name: 'edges: epoch 0, geohash 000000000, tx power +127, period 1 s', key: 'kioskB', fields: { kioskId: new Uint8Array(8), epoch: 0, periodS: 1, geohash: '000000000', txPower: 127 } },
    { name: 'edges: epoch 2^32-1, geohash zzzzzzzzz, tx power -128, period 255 s', key: 'kioskA', fields: { kioskId: fromHex('ffffffffffffffff'), epoch: 0xffffffff, periodS: 255, geohash: 'zzzzzzzzz', txPower: -128 } },
  ];

  const valid = validSpecs.map(({ name, key, fields }) => {
    const frame = signBeaconFrame(fields, sk(key));
    return {
      name,
      key,
      publicKey: toHex(pk(key)),
      fields: { kioskId: toHex(fields.kioskId), epoch: fields.epoch, periodS: fields.periodS, geohash: fields.geohash, txPower: fields.txPower },
      frame: toHex(frame),
      fragments: fragmentBeaconFrame(frame).map(toHex),
      pages: beaconSchedule(frame).map((p) => ({ advertisement: toHex(p.advertisement), scanResponse: toHex(p.scanResponse), fragments: p.fragments })),
      extended: toHex(extendedAdvertisingData(frame)),
      // The phone accepts its own epoch and one either side.
      acceptedAt: [
        { now: nowFor(fields), epochSkew: 0 },
        ...(fields.epoch < 0xffffffff ? [{ now: nowFor(fields, 1), epochSkew: 1 }] : []),
        ...(fields.epoch > 0 ? [{ now: nowFor(fields, -1), epochSkew: -1 }] : []),
      ],
    };
  });

  const frameA = signBeaconFrame(fieldsA, sk('kioskA'));
  const fragsA = fragmentBeaconFrame(frameA);
  const pubA = toHex(pk('kioskA'));
  const nowA = nowFor(fieldsA);
  const invalid: InvalidVector[] = [];
  const add = (v: InvalidVector) => invalid.push(v);

  // Wrong key.
  add({ name: 'wrong key: kiosk A frame under kiosk B key', publicKey: toHex(pk('kioskB')), now: nowA, frame: toHex(frameA), error: B.BAD_SIGNATURE });
  add({ name: 'wrong key: kiosk A fragments under an unrelated key', publicKey: toHex(pk('other')), now: nowA, fragments: fragsA.map(toHex), error: B.BAD_SIGNATURE });

  // One byte tampered (xor 0x01) at every position of the whole frame. The expected code
  // follows from the layout: the version byte and the reserved geohash bits are checked
  // before the signature; every other change breaks the signature.
  for (let i = 0; i < BEACON_FRAME_BYTES; i++) {
    const t = frameA.slice();
    t[i] ^= 0x01;
    const error = i === 0 || i === 19 ? B.MALFORMED : B.BAD_SIGNATURE;
    add({ name: `tampered frame byte ${i}`, publicKey: pubA, now: nowA, frame: toHex(t), error });
  }
  // The same in fragment form, header bytes included. A changed count or epoch byte no
  // longer matches the other fragments; frame byte 12 (epoch low byte) no longer matches
  // the fragment headers.
  fragsA.forEach((frag, f) => {
    for (let j = 0; j < frag.length; j++) {
      const set = fragsA.map((x) => x.slice());
      set[f][j] ^= 0x01;
      let error: string;
      if (j < 2) error = B.FRAGMENT_MISMATCH;
      else {
        const pos = f * LEGACY_FRAGMENT_PAYLOAD + (j - 2);
        error = pos === 0 || pos === 19 ? B.MALFORMED : pos === 12 ? B.FRAGMENT_MISMATCH : B.BAD_SIGNATURE;
      }
      add({ name: `tampered fragment ${f} byte ${j}`, publicKey: pubA, now: nowA, fragments: set.map(toHex), error });
    }
  });

  // Truncated.
  add({ name: 'truncated frame (84 bytes)', publicKey: pubA, now: nowA, frame: toHex(frameA.slice(0, 84)), error: B.MALFORMED });
  add({ name: 'frame with a byte appended (86 bytes)', publicKey: pubA, now: nowA, frame: toHex(concatBytes(frameA, Uint8Array.of(0))), error: B.MALFORMED });
  add({ name: 'empty frame', publicKey: pubA, now: nowA, frame: '', error: B.MALFORMED });
  add({ name: 'last fragment missing', publicKey: pubA, now: nowA, fragments: fragsA.slice(0, 3).map(toHex), error: B.INCOMPLETE });
  add({ name: 'only fragment 2', publicKey: pubA, now: nowA, fragments: [toHex(fragsA[2])], error: B.INCOMPLETE });
  add({ name: 'no fragments', publicKey: pubA, now: nowA, fragments: [], error: B.INCOMPLETE });
  add({ name: 'last fragment short by one byte', publicKey: pubA, now: nowA, fragments: [...fragsA.slice(0, 3), fragsA[3].slice(0, -1)].map(toHex), error: B.MALFORMED });
  add({ name: 'fragment 1 short by one byte', publicKey: pubA, now: nowA, fragments: [fragsA[0], fragsA[1].slice(0, -1), fragsA[2], fragsA[3]].map(toHex), error: B.MALFORMED });
  add({ name: 'fragment of a header only', publicKey: pubA, now: nowA, fragments: [...fragsA.slice(0, 3), fragsA[3].slice(0, 2)].map(toHex), error: B.MALFORMED });
  add({ name: 'fragment header count 0', publicKey: pubA, now: nowA, fragments: [Uint8Array.of(0x00, fragsA[0][1], 1, 2, 3)].map(toHex), error: B.MALFORMED });
  add({ name: 'fragment header index 4 of 4', publicKey: pubA, now: nowA, fragments: [...fragsA, Uint8Array.of(0x44, fragsA[0][1], 1, 2, 3)].map(toHex), error: B.MALFORMED });

  // Wrong epoch: genuine frames outside the ±1 epoch window (replay of a recording).
  add({ name: 'recorded two epochs ago', publicKey: pubA, now: nowFor(fieldsA, 2), fragments: fragsA.map(toHex), error: B.EPOCH });
  add({ name: 'recorded two epochs ago, whole frame', publicKey: pubA, now: nowFor(fieldsA, 2), frame: toHex(frameA), error: B.EPOCH });
  add({ name: 'first second of the second epoch after', publicKey: pubA, now: (fieldsA.epoch + 2) * fieldsA.periodS, frame: toHex(frameA), error: B.EPOCH });
  add({ name: 'frame from two epochs in the future', publicKey: pubA, now: nowFor(fieldsA, -2), frame: toHex(frameA), error: B.EPOCH });
  add({ name: 'recorded a day ago', publicKey: pubA, now: nowA + 86_400, frame: toHex(frameA), error: B.EPOCH });

  // Fragment mix-ups.
  const nextA = fragmentBeaconFrame(signBeaconFrame({ ...fieldsA, epoch: fieldsA.epoch + 1 }, sk('kioskA')));
  const wrapA = fragmentBeaconFrame(signBeaconFrame({ ...fieldsA, epoch: fieldsA.epoch + 256 }, sk('kioskA')));
  const fragsB = fragmentBeaconFrame(signBeaconFrame(fieldsB, sk('kioskB')));
  const extA = fragmentBeaconFrame(frameA, frameA.length);
  add({ name: 'mix-up: fragments 0-1 of epoch E with 2-3 of epoch E+1', publicKey: pubA, now: nowA, fragments: [fragsA[0], fragsA[1], nextA[2], nextA[3]].map(toHex), error: B.FRAGMENT_MISMATCH });
  add({ name: 'mix-up: fragments 0-1 of kiosk A with 2-3 of kiosk B, same epoch', publicKey: pubA, now: nowA, fragments: [fragsA[0], fragsA[1], fragsB[2], fragsB[3]].map(toHex), error: B.BAD_SIGNATURE });
  add({ name: 'mix-up: two different fragment 2s (kiosks A and B)', publicKey: pubA, now: nowA, fragments: [...fragsA, fragsB[2]].map(toHex), error: B.FRAGMENT_MISMATCH });
  add({ name: 'mix-up: epochs E and E+256 share the epoch byte; the signature catches it', publicKey: pubA, now: nowA, fragments: [fragsA[0], fragsA[1], wrapA[2], wrapA[3]].map(toHex), error: B.BAD_SIGNATURE });
  add({ name: 'mix-up: a legacy fragment with the single-PDU (1 of 1) fragment', publicKey: pubA, now: nowA, fragments: [fragsA[0], extA[0]].map(toHex), error: B.FRAGMENT_MISMATCH });

  // Signed by the right key but not a valid v1 frame.
  const body = encodeBeaconBody(fieldsA);
  const v2 = body.slice(); v2[0] = 2;
  const period0 = body.slice(); period0[13] = 0;
  const reserved = body.slice(); reserved[19] |= 0x04;
  add({ name: 'signed frame with unknown version 2', publicKey: pubA, now: nowA, frame: toHex(signRawBody(v2, sk('kioskA'))), error: B.MALFORMED });
  add({ name: 'signed frame with period 0', publicKey: pubA, now: nowA, frame: toHex(signRawBody(period0, sk('kioskA'))), error: B.MALFORMED });
  add({ name: 'signed frame with a reserved geohash bit set', publicKey: pubA, now: nowA, frame: toHex(signRawBody(reserved, sk('kioskA'))), error: B.MALFORMED });

  // Malleability: S + L verifies under lenient verifiers; strict RFC 8032 refuses it.
  const s = bytesToBigLE(frameA.subarray(21 + 32));
  const malleable = concatBytes(frameA.subarray(0, 21 + 32), bigToBytesLE(s + ED25519_L, 32));
  add({ name: 'non-canonical signature (S + L)', publicKey: pubA, now: nowA, frame: toHex(malleable), error: B.BAD_SIGNATURE });
  // The signature is over the domain tag + body: a bare-body signature is not a beacon signature.
  const bare = concatBytes(body, ed25519.sign(body, sk('kioskA')));
  add({ name: 'signature without the waymark.beacon.v1 domain tag', publicKey: pubA, now: nowA, frame: toHex(bare), error: B.BAD_SIGNATURE });

  return {
    description: 'Golden Waymark beacon frames (docs/PROTOCOL.md, "Beacon frames"). Regenerate with: node --import tsx test/vectors/generate-beacon-vectors.ts',
    serviceUuid16: 'fcd1',
    signingDomain: 'waymark.beacon.v1',
    keys: Object.fromEntries(Object.entries(KEYS).map(([name, secret]) => {
      const pub = beaconPublicKey(fromHex(secret));
      return [name, { secretKey: secret, publicKey: toHex(pub), kioskId: toHex(kioskIdFromPublicKey(pub)) }];
    })),
    valid,
    invalid,
  };
}

function bytesToBigLE(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}
function bigToBytesLE(v: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

export function beaconVectorsText(): string {
  return JSON.stringify(buildBeaconVectors(), null, 1) + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = beaconVectorsText();
  if (process.argv.includes('--check')) {
    const same = readFileSync(BEACON_VECTORS_FILE, 'utf8') === text;
    process.stdout.write(same ? 'beacon-vectors.json is up to date\n' : 'beacon-vectors.json is stale: regenerate it\n');
    process.exitCode = same ? 0 : 1;
  } else {
    writeFileSync(BEACON_VECTORS_FILE, text);
    process.stdout.write(`wrote ${BEACON_VECTORS_FILE}\n`);
  }
}
