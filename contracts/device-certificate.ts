/**
 * The device certificate: S4's officer-signed "virtual house number". The venue operator
 * signs EIP-712 typed data binding a kiosk address to a venue id and geohash for a
 * validity window; the kiosk keeps it in its data dir and shows it in /v1/status.
 */
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { TypedDataEncoder, getAddress, verifyTypedData, type TypedDataDomain, type TypedDataField, type Signer } from 'ethers';
import { WaymarkError } from '../core/errors.js';

export const DEVICE_CERTIFICATE_DOMAIN_NAME = 'Waymark Device Certificate';
export const DEVICE_CERTIFICATE_VERSION = '1';

export const DEVICE_CERTIFICATE_TYPES: Record<string, TypedDataField[]> = {
  DeviceCertificate: [
    { name: 'kiosk', type: 'address' },
    { name: 'venueId', type: 'uint64' },
    { name: 'geohash', type: 'string' },
    { name: 'validFrom', type: 'uint64' },
    { name: 'validUntil', type: 'uint64' },
  ],
};

/** What the operator vouches for; times are Unix seconds. */
export interface DeviceCertificateFields {
  kiosk: string;
  venueId: bigint;
  geohash: string;
  validFrom: number;
  validUntil: number;
}

export interface CertificateDomain {
  chainId: number;
  /** The WaymarkRegistry the venue id belongs to. */
  registry: string;
}

/** The JSON file in the kiosk's data dir (and the `deviceCertificate` of /v1/status). */
export interface StoredDeviceCertificate {
  type: 'waymark-device-certificate';
  version: 1;
  domain: { name: string; version: string; chainId: number; verifyingContract: string };
  certificate: { kiosk: string; venueId: string; geohash: string; validFrom: number; validUntil: number };
  /** The operator's address, as claimed; verification recovers it from the signature. */
  operator: string;
  signature: string;
}

function typedDomain(domain: CertificateDomain): TypedDataDomain {
  return { name: DEVICE_CERTIFICATE_DOMAIN_NAME, version: DEVICE_CERTIFICATE_VERSION, chainId: domain.chainId, verifyingContract: getAddress(domain.registry) };
}

/** The operator signs the certificate. */
export async function signDeviceCertificate(operator: Signer, domain: CertificateDomain, fields: DeviceCertificateFields): Promise<StoredDeviceCertificate> {
  if (!(fields.validUntil > fields.validFrom)) {
    throw new WaymarkError('WAYMARK_ERR_USAGE', `certificate validUntil ${fields.validUntil} must be after validFrom ${fields.validFrom}`);
  }
  const d = typedDomain(domain);
  const value = { ...fields, kiosk: getAddress(fields.kiosk) };
  const signature = await operator.signTypedData(d, DEVICE_CERTIFICATE_TYPES, value);
  return {
    type: 'waymark-device-certificate',
    version: 1,
    domain: { name: d.name!, version: d.version!, chainId: domain.chainId, verifyingContract: d.verifyingContract! },
    certificate: { kiosk: value.kiosk, venueId: fields.venueId.toString(), geohash: fields.geohash, validFrom: fields.validFrom, validUntil: fields.validUntil },
    operator: await operator.getAddress(),
    signature,
  };
}

export interface CertificateExpectations {
  /** Unix seconds; default now. */
  now?: number;
  kiosk?: string;
  venueId?: bigint;
  geohash?: string;
  /** The venue operator on chain; the signature must recover it. */
  operator?: string;
  chainId?: number;
  registry?: string;
}

export interface CertificateVerdict {
  ok: boolean;
  /** Who signed it (recovered), when the signature parses. */
  signer?: string;
  /** Every reason it does not hold, empty when ok. */
  problems: string[];
}

/** Checks the signature and every field against what is expected; never throws on a bad certificate. */
export function verifyDeviceCertificate(stored: StoredDeviceCertificate, expect: CertificateExpectations = {}): CertificateVerdict {
  const problems: string[] = [];
  let signer: string | undefined;
  const c = stored.certificate;
  try {
    signer = verifyTypedData(
      { name: stored.domain.name, version: stored.domain.version, chainId: stored.domain.chainId, verifyingContract: stored.domain.verifyingContract },
      DEVICE_CERTIFICATE_TYPES,
      { kiosk: c.kiosk, venueId: BigInt(c.venueId), geohash: c.geohash, validFrom: c.validFrom, validUntil: c.validUntil },
      stored.signature,
    );
  } catch (err) {
    problems.push(`signature does not parse (${(err as { shortMessage?: string }).shortMessage ?? (err as Error).message})`);
  }
  if (stored.domain.name !== DEVICE_CERTIFICATE_DOMAIN_NAME || stored.domain.version !== DEVICE_CERTIFICATE_VERSION) problems.push('not a Waymark device certificate (domain)');
  if (signer && signer !== getAddress(stored.operator)) problems.push(`signed by ${signer}, not by the operator it names (${stored.operator})`);
  if (signer && expect.operator && signer !== getAddress(expect.operator)) problems.push(`signed by ${signer}, but the venue operator is ${getAddress(expect.operator)}`);
  if (expect.kiosk && getAddress(c.kiosk) !== getAddress(expect.kiosk)) problems.push(`issued to kiosk ${c.kiosk}, this kiosk is ${getAddress(expect.kiosk)}`);
  if (expect.venueId !== undefined && BigInt(c.venueId) !== expect.venueId) problems.push(`for venue ${c.venueId}, expected venue ${expect.venueId}`);
  if (expect.geohash && c.geohash !== expect.geohash) problems.push(`for geohash ${c.geohash}, the venue is at ${expect.geohash}`);
  if (expect.chainId !== undefined && stored.domain.chainId !== expect.chainId) problems.push(`for chain ${stored.domain.chainId}, the node is chain ${expect.chainId}`);
  if (expect.registry && getAddress(stored.domain.verifyingContract) !== getAddress(expect.registry)) problems.push(`for registry ${stored.domain.verifyingContract}, configured ${getAddress(expect.registry)}`);
  const now = expect.now ?? Math.floor(Date.now() / 1000);
  if (now < c.validFrom) problems.push(`not valid before ${new Date(c.validFrom * 1000).toISOString()}`);
  if (now >= c.validUntil) problems.push(`expired at ${new Date(c.validUntil * 1000).toISOString()}`);
  return { ok: problems.length === 0, signer, problems };
}

/** Throws WAYMARK_ERR_CERTIFICATE_INVALID listing every problem. */
export function assertDeviceCertificate(stored: StoredDeviceCertificate, expect: CertificateExpectations = {}): string {
  const verdict = verifyDeviceCertificate(stored, expect);
  if (!verdict.ok) throw new WaymarkError('WAYMARK_ERR_CERTIFICATE_INVALID', verdict.problems.join('; '), { details: { problems: verdict.problems } });
  return verdict.signer!;
}

/** The EIP-712 digest the operator signed (for people checking by hand). */
export function certificateDigest(stored: StoredDeviceCertificate): string {
  const c = stored.certificate;
  return TypedDataEncoder.hash(stored.domain, DEVICE_CERTIFICATE_TYPES, { ...c, venueId: BigInt(c.venueId) });
}

export function writeDeviceCertificate(path: string, stored: StoredDeviceCertificate): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(stored, null, 2) + '\n', { mode: 0o644 });
  renameSync(tmp, path);
}

/** The certificate at `path`, or undefined when there is none; a malformed file is WAYMARK_ERR_CERTIFICATE_INVALID. */
export function readDeviceCertificate(path: string): StoredDeviceCertificate | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: StoredDeviceCertificate;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as StoredDeviceCertificate;
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_CERTIFICATE_INVALID', `${path} is not JSON (${(err as Error).message})`, { cause: err });
  }
  const c = parsed?.certificate;
  if (parsed?.type !== 'waymark-device-certificate' || !c || typeof c.kiosk !== 'string' || typeof c.venueId !== 'string' || typeof parsed.signature !== 'string' || typeof parsed.domain?.chainId !== 'number') {
    throw new WaymarkError('WAYMARK_ERR_CERTIFICATE_INVALID', `${path} is not a Waymark device certificate`);
  }
  return parsed;
}
