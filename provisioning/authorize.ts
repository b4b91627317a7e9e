/**
 * `provision kiosk authorize`: the venue operator signs the kiosk's device certificate
 * (EIP-712) and authorizes the kiosk on chain, optionally sending it gas money; the
 * certificate goes into the kiosk's data dir. Re-running it for an authorized kiosk only
 * re-issues the certificate (bulk provisioning relies on that).
 */
import { getAddress, parseEther, type BaseWallet } from 'ethers';
import { WaymarkError } from '../core/errors.js';
import { getVenue } from '../contracts/actions/get-venue.js';
import { isKiosk } from '../contracts/actions/is-kiosk.js';
import { authorizeKiosk } from '../contracts/actions/authorize-kiosk.js';
import { toChainError } from '../contracts/chain-errors.js';
import { assertAddress } from '../contracts/validate.js';
import type { ChainSession } from './chain-access.js';
import { signDeviceCertificate, writeDeviceCertificate, type StoredDeviceCertificate } from '../contracts/device-certificate.js';

export const DEFAULT_CERTIFICATE_DAYS = 365;

export interface AuthorizeParameters {
  venueId: bigint;
  kiosk: string;
  /** Certificate validity from now, days. */
  validDays?: number;
  /** Write the certificate here (the kiosk's data dir file). */
  certificateFile?: string;
  /** Send the kiosk this much ETH for gas, as a decimal string ("0.05"). */
  fundEth?: string;
  /** Unix seconds; default now. */
  now?: number;
}

export interface AuthorizeResult {
  venueId: bigint;
  kiosk: string;
  geohash: string;
  operator: string;
  /** Undefined when the kiosk was authorized already. */
  txHash?: string;
  alreadyAuthorized: boolean;
  fundTxHash?: string;
  certificate: StoredDeviceCertificate;
  certificateFile?: string;
}

/** Parses an ETH amount for --fund (rejects negatives, junk and more than 18 decimals). */
export function parseEthAmount(text: string, field = 'fund'): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(text)) throw new WaymarkError('WAYMARK_ERR_USAGE', `--${field} must be an ETH amount like 0.05, got ${JSON.stringify(text)}`, { details: { field } });
  return parseEther(text);
}

export async function authorizeKioskWithCertificate(chain: ChainSession, operatorKey: BaseWallet, params: AuthorizeParameters): Promise<AuthorizeResult> {
  const kiosk = assertAddress(params.kiosk, 'kiosk');
  const fund = params.fundEth !== undefined ? parseEthAmount(params.fundEth) : 0n;
  const venue = await getVenue(chain.reader, { venueId: params.venueId }); // unknown id -> WAYMARK_ERR_CHAIN_UNKNOWN_VENUE
  if (getAddress(venue.operator) !== operatorKey.address) {
    throw new WaymarkError('WAYMARK_ERR_CHAIN_UNAUTHORIZED', `the operator key (${operatorKey.address}) is not the operator of venue ${params.venueId} (${venue.operator})`, {
      details: { venueId: params.venueId.toString(), operator: venue.operator },
    });
  }
  const now = params.now ?? Math.floor(Date.now() / 1000);
  const certificate = await signDeviceCertificate(operatorKey, { chainId: chain.chainId, registry: chain.registry }, {
    kiosk,
    venueId: params.venueId,
    geohash: venue.geohash,
    validFrom: now,
    validUntil: now + Math.round((params.validDays ?? DEFAULT_CERTIFICATE_DAYS) * 86_400),
  });
  const operator = chain.as(operatorKey);
  const alreadyAuthorized = await isKiosk(chain.reader, { venueId: params.venueId, kiosk });
  const txHash = alreadyAuthorized ? undefined : (await authorizeKiosk(operator, { venueId: params.venueId, kiosk })).txHash;
  let fundTxHash: string | undefined;
  if (fund > 0n) {
    try {
      const tx = await operatorKey.connect(chain.provider).sendTransaction({ to: kiosk, value: fund });
      fundTxHash = (await tx.wait())?.hash;
    } catch (err) {
      throw toChainError(err, 'fund kiosk');
    }
  }
  if (params.certificateFile) writeDeviceCertificate(params.certificateFile, certificate);
  return { venueId: params.venueId, kiosk, geohash: venue.geohash, operator: venue.operator, txHash, alreadyAuthorized, fundTxHash, certificate, certificateFile: params.certificateFile };
}
