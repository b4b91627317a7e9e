/**
 * Signs check-in attestations (and check-in tokens) with the kiosk's secp256k1 key. The
 * EIP-712 digest is computed with precomputed domain and string hashes (the hot path of
 * every check-in) and signed with the ethers SigningKey (RFC 6979, low-s).
 */
import { BaseWallet, SigningKey, computeAddress, getAddress, getBytes } from 'ethers';
import {
  ATTESTATION_PRIMARY_TYPE, ATTESTATION_TYPES, attestationDigest, attestationDomain, attestationStructHash,
  domainSeparator, hex0x, type AttestationDomain, type CheckinAttestationMessage, type PresenceKind,
  type SignedCheckinAttestation,
} from '../../beacon/visitor/attestation.js';
import { isGeohash9 } from '../../beacon/geohash.js';

/** The kiosk key as the check-in service takes it until provisioning stores it encrypted. */
export type KioskKey = BaseWallet | SigningKey | string;

function toSigningKey(key: KioskKey): SigningKey {
  return typeof key === 'string' ? new SigningKey(key) : key instanceof SigningKey ? key : key.signingKey;
}

export interface AttestationSignerOptions {
  key: KioskKey;
  /** EIP-712 domain: the chain and the WaymarkRegistry address. */
  chainId: number;
  verifyingContract: string;
  venueId: number;
  geohash: string;
}

export interface AttestParameters {
  visitor: string;
  /** Unix seconds. */
  time: number;
  presence: PresenceKind;
  seq: number;
}

export class AttestationSigner {
  readonly address: string;
  readonly domain: AttestationDomain;
  readonly venueId: number;
  readonly geohash: string;
  readonly #key: SigningKey;
  readonly #domainSeparator: Uint8Array;
  readonly #stringHashes = new Map<string, Uint8Array>();

  constructor(opts: AttestationSignerOptions) {
    const signingKey = toSigningKey(opts.key);
    this.#key = signingKey;
    this.address = computeAddress(signingKey.publicKey);
    if (!Number.isSafeInteger(opts.venueId) || opts.venueId <= 0) throw new RangeError(`venueId must be a positive integer, got ${opts.venueId}`);
    if (!isGeohash9(opts.geohash)) throw new RangeError(`geohash must be 9 geohash characters, got ${opts.geohash}`);
    this.domain = attestationDomain({ chainId: opts.chainId, verifyingContract: opts.verifyingContract });
    this.venueId = opts.venueId;
    this.geohash = opts.geohash;
    this.#domainSeparator = domainSeparator(this.domain);
  }

  /** Signs a 32-byte digest: 65 bytes r || s || v with v = 27/28 (what ecrecover and ethers take). */
  signDigest(digest: Uint8Array): Uint8Array {
    return getBytes(this.#key.sign(digest).serialized);
  }

  attest(params: AttestParameters): SignedCheckinAttestation {
    const message: CheckinAttestationMessage = {
      venueId: this.venueId,
      kiosk: this.address,
      geohash: this.geohash,
      visitor: params.visitor.toLowerCase(),
      time: params.time,
      presence: params.presence,
      seq: params.seq,
    };
    const digest = attestationDigest(this.#domainSeparator, attestationStructHash(message, this.#stringHashes));
    return {
      id: hex0x(digest),
      typedData: { domain: { ...this.domain }, types: ATTESTATION_TYPES, primaryType: ATTESTATION_PRIMARY_TYPE, message },
      signature: hex0x(this.signDigest(digest)),
    };
  }
}

export function kioskAddress(key: KioskKey): string {
  return getAddress(computeAddress(toSigningKey(key).publicKey));
}
