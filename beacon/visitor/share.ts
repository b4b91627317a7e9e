/**
 * What a diagnosed visitor chooses to give the health authority: check-in attestations with
 * their Merkle proofs (and check-out times), optionally sealed to the authority's secp256k1
 * public key (ECIES: ECDH, HKDF-SHA256, AES-256-GCM), so only the authority can open it.
 * The authority verifies every record before it reports anything.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { WaymarkError } from '../../core/errors.js';
import { fromHex, toHex } from '../bytes.js';
import type { SignedCheckinAttestation } from './attestation.js';
import type { RecordProof } from './proofs.js';

export const SHARED_CHECKINS_FORMAT = 'waymark-shared-checkins-v1';
export const SEALED_SHARE_FORMAT = 'waymark-sealed-share-v1';
const HKDF_INFO = new TextEncoder().encode('Waymark shared check-ins v1');

export interface SharedRecord {
  attestation: SignedCheckinAttestation;
  /** The Merkle proof the kiosk served once the record was anchored. */
  proof: RecordProof;
  /** When the visitor checked out, Unix seconds, if they did. */
  checkoutTime?: number;
}

export interface SharedCheckins {
  format: typeof SHARED_CHECKINS_FORMAT;
  /** Unix seconds. */
  createdAt: number;
  records: SharedRecord[];
}

export interface SealedShare {
  format: typeof SEALED_SHARE_FORMAT;
  /** The sender's one-time public key, compressed secp256k1, hex. */
  ephemeralPublicKey: string;
  /** AES-GCM nonce, 12 bytes hex. */
  iv: string;
  /** AES-GCM ciphertext with its tag, hex. */
  ciphertext: string;
}

async function aesKey(shared: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  const raw = hkdf(sha256, shared.subarray(1), undefined, HKDF_INFO, 32);
  return globalThis.crypto.subtle.importKey('raw', raw as BufferSource, 'AES-GCM', false, [usage]);
}

/** Seals a share to `authorityPublicKey` (hex, compressed or uncompressed secp256k1). */
export async function sealShare(share: SharedCheckins, authorityPublicKey: string): Promise<SealedShare> {
  let recipient: Uint8Array;
  try {
    recipient = fromHex(authorityPublicKey, 'authority public key');
    secp256k1.Point.fromBytes(recipient);
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_USAGE', `the authority public key is not a secp256k1 point (${(err as Error).message})`);
  }
  const ephemeral = secp256k1.utils.randomSecretKey();
  const key = await aesKey(secp256k1.getSharedSecret(ephemeral, recipient, true), 'encrypt');
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const plain = new TextEncoder().encode(JSON.stringify(share));
  const ciphertext = new Uint8Array(await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plain));
  return { format: SEALED_SHARE_FORMAT, ephemeralPublicKey: toHex(secp256k1.getPublicKey(ephemeral, true)), iv: toHex(iv), ciphertext: toHex(ciphertext) };
}

/** Opens a sealed share with the authority's secret key (hex); WAYMARK_ERR_SHARE_INVALID when it does not open. */
export async function unsealShare(sealed: SealedShare, authoritySecretKey: string): Promise<SharedCheckins> {
  let text: string;
  try {
    const shared = secp256k1.getSharedSecret(fromHex(authoritySecretKey, 'authority key'), fromHex(sealed.ephemeralPublicKey, 'ephemeralPublicKey'), true);
    const key = await aesKey(shared, 'decrypt');
    const plain = await globalThis.crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromHex(sealed.iv, 'iv') as BufferSource }, key, fromHex(sealed.ciphertext, 'ciphertext') as BufferSource);
    text = new TextDecoder().decode(plain);
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_SHARE_INVALID', `the sealed share does not open with this key (${(err as Error).message || 'authentication failed'})`);
  }
  return parseShare(text);
}

/** Parses a shared or sealed document; throws WAYMARK_ERR_SHARE_INVALID. */
export function parseShareDocument(text: string): SharedCheckins | SealedShare {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_SHARE_INVALID', `a shared file is JSON (${(err as Error).message})`);
  }
  if (doc?.format === SEALED_SHARE_FORMAT) {
    for (const f of ['ephemeralPublicKey', 'iv', 'ciphertext']) {
      if (typeof doc[f] !== 'string' || !/^[0-9a-f]+$/i.test(doc[f])) throw new WaymarkError('WAYMARK_ERR_SHARE_INVALID', `sealed share: ${f} must be hex`);
    }
    return doc as SealedShare;
  }
  return parseShare(text, doc);
}

function parseShare(text: string, parsed?: any): SharedCheckins {
  let doc = parsed;
  if (doc === undefined) {
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new WaymarkError('WAYMARK_ERR_SHARE_INVALID', `a shared file is JSON (${(err as Error).message})`);
    }
  }
  if (doc?.format !== SHARED_CHECKINS_FORMAT || !Array.isArray(doc.records)) {
    throw new WaymarkError('WAYMARK_ERR_SHARE_INVALID', `a shared file is { format: "${SHARED_CHECKINS_FORMAT}", records: [...] } or a sealed share`);
  }
  doc.records.forEach((r: any, i: number) => {
    if (typeof r?.attestation?.id !== 'string' || typeof r.attestation.signature !== 'string' || typeof r.attestation.typedData?.message !== 'object'
      || !Array.isArray(r.proof?.proof) || typeof r.proof.root !== 'string' || !Number.isSafeInteger(r.proof.seq)) {
      throw new WaymarkError('WAYMARK_ERR_SHARE_INVALID', `record ${i} must be { attestation: { id, typedData, signature }, proof: { proof, root, seq, ... } }`, { details: { record: i } });
    }
    if (r.checkoutTime !== undefined && !Number.isSafeInteger(r.checkoutTime)) {
      throw new WaymarkError('WAYMARK_ERR_SHARE_INVALID', `record ${i}: checkoutTime must be Unix seconds`, { details: { record: i } });
    }
  });
  return doc as SharedCheckins;
}
