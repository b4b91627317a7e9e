/**
 * The check-in attestation format (EIP-712 typed data signed by a kiosk's secp256k1 key),
 * shared by the kiosk that signs it and the phone that verifies it. The kiosk's fast digest
 * lives here next to an independent check through ethers' verifyTypedData.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { getAddress, verifyTypedData, TypedDataEncoder } from 'ethers';
import { WaymarkError } from '../../core/errors.js';
import { concatBytes, fromHex, toHex } from '../bytes.js';
import { isGeohash9 } from '../geohash.js';

export const ATTESTATION_DOMAIN_NAME = 'Waymark';
export const ATTESTATION_VERSION = '1';
export const ATTESTATION_PRIMARY_TYPE = 'CheckinAttestation';

/** How the visitor proved they were at the kiosk. */
export const PRESENCE_KINDS = ['ble-tap', 'qr-token', 'nfc'] as const;
export type PresenceKind = (typeof PRESENCE_KINDS)[number];

/** The EIP-712 types (without EIP712Domain, which every library derives from the domain). */
export const ATTESTATION_TYPES = {
  CheckinAttestation: [
    { name: 'venueId', type: 'uint64' },
    { name: 'kiosk', type: 'address' },
    { name: 'geohash', type: 'string' },
    { name: 'visitor', type: 'bytes32' },
    { name: 'time', type: 'uint64' },
    { name: 'presence', type: 'string' },
    { name: 'seq', type: 'uint64' },
  ],
} as const;

export const ATTESTATION_TYPE_STRING =
  'CheckinAttestation(uint64 venueId,address kiosk,string geohash,bytes32 visitor,uint64 time,string presence,uint64 seq)';

export interface AttestationDomain {
  name: string;
  version: string;
  chainId: number;
  /** The WaymarkRegistry's address (checksummed). */
  verifyingContract: string;
}

export interface CheckinAttestationMessage {
  /** The registry's venue id (uint64 counter from 1). */
  venueId: number;
  /** The signing kiosk's address (checksummed). */
  kiosk: string;
  /** The venue's geohash, 9 characters. */
  geohash: string;
  /** 0x + 64 hex: the commitment the phone chose for this check-in (rotated; never a stable id). */
  visitor: string;
  /** Unix seconds, kiosk clock (synced). */
  time: number;
  presence: PresenceKind;
  /** The kiosk's attestation sequence number (0, 1, 2, ...). */
  seq: number;
}

/** Exactly what every API returns for an attestation: the full typed data plus the signature. */
export interface SignedCheckinAttestation {
  /** The record id: the EIP-712 digest, 0x + 64 hex (the value the kiosk signed). */
  id: string;
  typedData: {
    domain: AttestationDomain;
    types: typeof ATTESTATION_TYPES;
    primaryType: typeof ATTESTATION_PRIMARY_TYPE;
    message: CheckinAttestationMessage;
  };
  /** 65-byte r || s || v (v = 27/28), 0x hex. */
  signature: string;
}

export function attestationDomain(params: { chainId: number; verifyingContract: string }): AttestationDomain {
  if (!Number.isSafeInteger(params.chainId) || params.chainId <= 0) throw new TypeError(`chainId must be a positive integer, got ${params.chainId}`);
  return { name: ATTESTATION_DOMAIN_NAME, version: ATTESTATION_VERSION, chainId: params.chainId, verifyingContract: getAddress(params.verifyingContract) };
}

const enc = new TextEncoder();
const TYPE_HASH = keccak_256(enc.encode(ATTESTATION_TYPE_STRING));
const DOMAIN_TYPE_HASH = keccak_256(enc.encode('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'));

function word(value: bigint | number): Uint8Array {
  const out = new Uint8Array(32);
  let v = BigInt(value);
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function addressWord(address: string): Uint8Array {
  const out = new Uint8Array(32);
  out.set(fromHex(address, 'address'), 12);
  return out;
}

/** The EIP-712 domain separator (hashStruct of EIP712Domain). */
export function domainSeparator(domain: AttestationDomain): Uint8Array {
  return keccak_256(concatBytes(
    DOMAIN_TYPE_HASH,
    keccak_256(enc.encode(domain.name)),
    keccak_256(enc.encode(domain.version)),
    word(domain.chainId),
    addressWord(domain.verifyingContract),
  ));
}

/** hashStruct(CheckinAttestation); `stringHashes` caches keccak of repeated strings (geohash, presence). */
export function attestationStructHash(message: CheckinAttestationMessage, stringHashes?: Map<string, Uint8Array>): Uint8Array {
  const hashString = (s: string): Uint8Array => {
    let h = stringHashes?.get(s);
    if (!h) {
      h = keccak_256(enc.encode(s));
      stringHashes?.set(s, h);
    }
    return h;
  };
  return keccak_256(concatBytes(
    TYPE_HASH,
    word(message.venueId),
    addressWord(message.kiosk),
    hashString(message.geohash),
    fromHex(message.visitor, 'visitor'),
    word(message.time),
    hashString(message.presence),
    word(message.seq),
  ));
}

/** keccak256(0x1901 || domainSeparator || hashStruct(message)): the 32 bytes the kiosk signs. */
export function attestationDigest(domainSep: Uint8Array, structHash: Uint8Array): Uint8Array {
  return keccak_256(concatBytes(new Uint8Array([0x19, 0x01]), domainSep, structHash));
}

/** Checks a message's fields and types; throws WAYMARK_ERR_ATTESTATION_INVALID naming the field. */
export function assertAttestationMessage(message: unknown): asserts message is CheckinAttestationMessage {
  const bad = (field: string, why: string): never => {
    throw new WaymarkError('WAYMARK_ERR_ATTESTATION_INVALID', `message.${field} ${why}`, { details: { field } });
  };
  if (message === null || typeof message !== 'object') bad('(root)', 'must be an object');
  const m = message as Record<string, unknown>;
  const uint = (field: string) => {
    if (!Number.isSafeInteger(m[field]) || (m[field] as number) < 0) bad(field, 'must be a non-negative integer');
  };
  uint('venueId');
  uint('time');
  uint('seq');
  if (typeof m.kiosk !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(m.kiosk)) bad('kiosk', 'must be a 20-byte 0x address');
  if (!isGeohash9(m.geohash)) bad('geohash', 'must be a 9-character geohash');
  if (typeof m.visitor !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(m.visitor)) bad('visitor', 'must be 32 bytes, 0x hex');
  if (!PRESENCE_KINDS.includes(m.presence as PresenceKind)) bad('presence', `must be one of ${PRESENCE_KINDS.join(', ')}`);
}

export interface AttestationExpectations {
  /** Domain the verifier trusts (e.g. the registry it knows); default: the attestation's own. */
  chainId?: number;
  verifyingContract?: string;
  venueId?: number;
  /** The visitor commitment the phone sent. */
  visitor?: string;
}

export interface VerifiedAttestation {
  /** The address that signed (equals message.kiosk). */
  signer: string;
  digest: string;
}

/**
 * Verifies a signed attestation the way any EIP-712 library would (ethers' verifyTypedData,
 * not Waymark's digest code): the signature recovers message.kiosk, the id is the digest,
 * and the domain and fields match what the caller expects. Throws WAYMARK_ERR_ATTESTATION_INVALID.
 */
export function verifyAttestation(att: SignedCheckinAttestation, expect: AttestationExpectations = {}): VerifiedAttestation {
  const invalid = (why: string, details?: Record<string, unknown>): never => {
    throw new WaymarkError('WAYMARK_ERR_ATTESTATION_INVALID', why, details ? { details } : {});
  };
  if (!att || typeof att !== 'object' || !att.typedData || typeof att.signature !== 'string') invalid('not an attestation object (typedData, signature)');
  const { domain, message, primaryType } = att.typedData;
  if (primaryType !== ATTESTATION_PRIMARY_TYPE) invalid(`primaryType must be ${ATTESTATION_PRIMARY_TYPE}`);
  if (JSON.stringify(att.typedData.types) !== JSON.stringify(ATTESTATION_TYPES)) invalid('types differ from the Waymark CheckinAttestation types');
  if (domain?.name !== ATTESTATION_DOMAIN_NAME || domain.version !== ATTESTATION_VERSION) invalid(`domain must be ${ATTESTATION_DOMAIN_NAME} v${ATTESTATION_VERSION}`);
  assertAttestationMessage(message);
  if (expect.chainId !== undefined && domain.chainId !== expect.chainId) invalid(`chainId ${domain.chainId} is not the expected ${expect.chainId}`);
  if (expect.verifyingContract !== undefined && getAddress(domain.verifyingContract) !== getAddress(expect.verifyingContract)) {
    invalid(`verifyingContract ${domain.verifyingContract} is not the expected registry ${expect.verifyingContract}`);
  }
  if (expect.venueId !== undefined && message.venueId !== expect.venueId) invalid(`venueId ${message.venueId} is not the expected ${expect.venueId}`);
  if (expect.visitor !== undefined && message.visitor.toLowerCase() !== expect.visitor.toLowerCase()) invalid('the visitor commitment is not the one sent');
  let signer: string;
  let digest: string;
  try {
    const types = { CheckinAttestation: [...ATTESTATION_TYPES.CheckinAttestation] };
    signer = verifyTypedData(domain, types, message, att.signature);
    digest = TypedDataEncoder.hash(domain, types, message);
  } catch (err) {
    return invalid(`signature does not verify (${(err as Error).message})`);
  }
  if (signer !== getAddress(message.kiosk)) invalid(`signed by ${signer}, not by the kiosk ${message.kiosk} it names`, { signer });
  if (att.id.toLowerCase() !== digest.toLowerCase()) invalid('id is not the EIP-712 digest of the typed data', { digest });
  return { signer, digest };
}

/** 0x-prefixed lower-case hex. */
export function hex0x(bytes: Uint8Array): string {
  return '0x' + toHex(bytes);
}
