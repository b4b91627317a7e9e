/**
 * Linkable ring signatures (LSAG: Liu, Wei, Wong, "Linkable Spontaneous Anonymous Group
 * Signature for Ad Hoc Groups", ACISP 2004) on secp256k1: a kiosk signs for its ring of
 * community keys without saying which is its own, and two signatures under the same link
 * tag by one key carry the same key image. Pure; Uint8Array in, Uint8Array out.
 *
 * Departure from the paper: the key image's base is H_p(linkTag), not H_p(L), so the same
 * key links across rings that differ (a kiosk joined or left) as long as the tag (epoch and
 * region) is the same. Hashes: RFC 9380 hash_to_curve / hash_to_field (secp256k1_XMD:SHA-256_SSWU_RO_)
 * with Waymark domain tags.
 */
import { secp256k1, secp256k1_hasher } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { WaymarkError } from '../core/errors.js';

const Point = secp256k1.Point;
type Point = InstanceType<typeof Point>;
const N = Point.Fn.ORDER;

/** Domain separation tags (docs/PROTOCOL.md "Community reports"). */
export const LSAG_DST_LINK = 'WAYMARK-LSAG-V1-LINK_secp256k1_XMD:SHA-256_SSWU_RO_';
export const LSAG_DST_CHALLENGE = 'WAYMARK-LSAG-V1-CHALLENGE_secp256k1_XMD:SHA-256_SSWU_RO_';
const RING_TAG = new TextEncoder().encode('WAYMARK-LSAG-V1-RING');

export interface RingSignature {
  /** The challenge c_0 (32 bytes). */
  c0: Uint8Array;
  /** One response per ring member, in ring order (32 bytes each). */
  s: Uint8Array[];
  /** x · H_p(linkTag), compressed (33 bytes): equal for two signatures of one key under one tag. */
  keyImage: Uint8Array;
}

export interface RingSignParameters {
  /** Compressed (33-byte) secp256k1 public keys; the signer's is among them. */
  ring: readonly Uint8Array[];
  /** The signer's secret key (32 bytes). */
  secretKey: Uint8Array;
  message: Uint8Array;
  /** What signatures link under: one key image per key and tag. */
  linkTag: Uint8Array;
  /** 32 random bytes per call (tests and vectors pass a seeded source). Default: crypto.getRandomValues. */
  random?: (length: number) => Uint8Array;
}

const toScalar = (b: Uint8Array): bigint => {
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
};
const scalarBytes = (x: bigint): Uint8Array => {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
};
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return out;
};

/** H_p(linkTag): the key image base. */
export function linkBase(linkTag: Uint8Array): Point {
  return secp256k1_hasher.hashToCurve(linkTag, { DST: LSAG_DST_LINK }) as Point;
}

/** The key image a secret key has under a tag (what a double report is recognised by). */
export function keyImageOf(secretKey: Uint8Array, linkTag: Uint8Array): Uint8Array {
  return linkBase(linkTag).multiply(secretScalar(secretKey)).toBytes(true);
}

function secretScalar(secretKey: Uint8Array): bigint {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) throw new TypeError('secretKey must be 32 bytes');
  const x = toScalar(secretKey);
  if (x <= 0n || x >= N) throw new RangeError('secretKey is not a valid secp256k1 scalar');
  return x;
}

function ringPoints(ring: readonly Uint8Array[]): Point[] {
  if (!Array.isArray(ring) || ring.length < 1) throw new TypeError('ring must hold at least one public key');
  const seen = new Set<string>();
  return ring.map((k, i) => {
    if (!(k instanceof Uint8Array) || k.length !== 33) throw new TypeError(`ring[${i}] must be a 33-byte compressed public key`);
    const hex = Buffer.from(k).toString('hex');
    if (seen.has(hex)) throw new RangeError(`ring[${i}] appears twice`);
    seen.add(hex);
    return Point.fromBytes(k);
  });
}

/** H(L): the ring's digest, hashed once instead of once per challenge. */
function ringDigest(ring: readonly Uint8Array[]): Uint8Array {
  return sha256(concat(RING_TAG, ...ring));
}

function challenge(prefix: Uint8Array, z1: Point, z2: Point): bigint {
  return secp256k1_hasher.hashToScalar(concat(prefix, z1.toBytes(true), z2.toBytes(true)), { DST: LSAG_DST_CHALLENGE });
}

/** h and the key image are multiplied once per ring member: a 4-bit window table (about two multiplications to build) pays for itself from 8 members. */
function withTable(p: Point, uses: number): Point {
  if (uses >= 8) p.precompute(4, false);
  return p;
}

const randomScalar = (random: (n: number) => Uint8Array): bigint => {
  for (;;) {
    const x = toScalar(random(32));
    if (x > 0n && x < N) return x;
  }
};
const defaultRandom = (n: number) => crypto.getRandomValues(new Uint8Array(n));

export function ringSign(params: RingSignParameters): RingSignature {
  const points = ringPoints(params.ring);
  const x = secretScalar(params.secretKey);
  const me = Point.BASE.multiply(x);
  const pi = points.findIndex((p) => p.equals(me));
  if (pi < 0) throw new RangeError("the signer's public key is not in the ring");
  const random = params.random ?? defaultRandom;
  const n = points.length;
  const h = withTable(linkBase(params.linkTag), n);
  const image = withTable(h.multiply(x), n);
  const prefix = concat(ringDigest(params.ring), image.toBytes(true), sha256(params.message));
  const c: bigint[] = new Array(n);
  const s: bigint[] = new Array(n);
  const u = randomScalar(random);
  c[(pi + 1) % n] = challenge(prefix, Point.BASE.multiply(u), h.multiply(u));
  for (let k = 1; k < n; k++) {
    const i = (pi + k) % n;
    s[i] = randomScalar(random);
    // the decoys' scalars are all published in the signature: variable-time multiplication leaks nothing secret
    c[(i + 1) % n] = challenge(prefix, Point.BASE.multiplyUnsafe(s[i]!).add(points[i]!.multiplyUnsafe(c[i]!)), h.multiplyUnsafe(s[i]!).add(image.multiplyUnsafe(c[i]!)));
  }
  s[pi] = Point.Fn.create(u - c[pi]! * x);
  return { c0: scalarBytes(c[0]!), s: s.map(scalarBytes), keyImage: image.toBytes(true) };
}

/**
 * Whether `signature` is a ring signature by some key of `ring` over `message` under `linkTag`.
 * Throws WAYMARK_ERR_RING_SIGNATURE_INVALID (with the reason) when it is not.
 */
export function ringVerify(params: { ring: readonly Uint8Array[]; message: Uint8Array; linkTag: Uint8Array; signature: RingSignature }): void {
  const invalid = (why: string): never => {
    throw new WaymarkError('WAYMARK_ERR_RING_SIGNATURE_INVALID', why);
  };
  let points: Point[];
  try {
    points = ringPoints(params.ring);
  } catch (err) {
    return invalid(`bad ring: ${(err as Error).message}`);
  }
  const sig = params.signature;
  if (!sig || !(sig.c0 instanceof Uint8Array) || sig.c0.length !== 32 || !Array.isArray(sig.s)) invalid('not a ring signature (c0, s, keyImage)');
  if (sig.s.length !== points.length) invalid(`${sig.s.length} responses for a ring of ${points.length}`);
  const scalars = sig.s.map((b, i) => {
    const v = b instanceof Uint8Array && b.length === 32 ? toScalar(b) : -1n;
    if (v < 0n || v >= N) invalid(`s[${i}] is not a scalar below the group order`);
    return v;
  });
  const c0 = toScalar(sig.c0);
  if (c0 >= N) invalid('c0 is not a scalar below the group order');
  let image: Point;
  try {
    image = Point.fromBytes(sig.keyImage);
  } catch {
    return invalid('the key image is not a point on secp256k1');
  }
  if (image.is0()) invalid('the key image is the point at infinity');
  const h = withTable(linkBase(params.linkTag), points.length);
  image = withTable(image, points.length);
  const prefix = concat(ringDigest(params.ring), image.toBytes(true), sha256(params.message));
  let c = c0;
  for (let i = 0; i < points.length; i++) {
    const z1 = Point.BASE.multiplyUnsafe(scalars[i]!).add(points[i]!.multiplyUnsafe(c));
    const z2 = h.multiplyUnsafe(scalars[i]!).add(image.multiplyUnsafe(c));
    c = challenge(prefix, z1, z2);
  }
  if (c !== c0) invalid('the ring does not close (wrong ring, message, tag or a forged signature)');
}

/** The compressed public key of a secret key. */
export function ringPublicKey(secretKey: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(secretKey, true);
}
