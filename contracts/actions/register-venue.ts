/**
 * Registers a venue (a geohash-9 cell) beneath the signer's region; returns its venue id.
 * Venue ids are a uint64 counter from 1 in registration order, read back from the
 * VenueRegistered event.
 */
import { ZeroHash } from 'ethers';
import { WaymarkError } from '../../core/errors.js';
import { findEvent, sendRegistryTx, type RegistryClient, type TxReceipt } from '../client.js';
import { assertAddress, assertBytes32, assertVenueGeohash, geohashFromBytes9 } from '../validate.js';

export interface RegisterVenueParameters {
  /** 9 geohash characters. */
  geohash: string;
  /** The venue operator's address (authorizes kiosks, marks the venue cleaned). */
  operator: string;
  /** keccak256 (or any 32-byte digest) of the venue's off-chain metadata; default zero. */
  metadataHash?: string;
}

export interface RegisterVenueReturnType extends TxReceipt {
  venueId: bigint;
  /** The region prefix whose authority registered the venue. */
  region: string;
}

export async function registerVenue(client: RegistryClient, params: RegisterVenueParameters): Promise<RegisterVenueReturnType> {
  const geohash = assertVenueGeohash(params.geohash);
  const operator = assertAddress(params.operator, 'operator');
  const metadataHash = params.metadataHash === undefined ? ZeroHash : assertBytes32(params.metadataHash, 'metadataHash');
  const { receipt, logs, contract } = await sendRegistryTx(client, 'registerVenue', 'registerVenue', [geohash, operator, metadataHash]);
  const event = findEvent(contract, logs, 'VenueRegistered');
  if (!event) throw new WaymarkError('WAYMARK_ERR_CHAIN_REVERTED', `registerVenue: no VenueRegistered event in ${receipt.txHash}`);
  return { ...receipt, venueId: event.venueId as bigint, region: geohashFromBytes9(event.region as string) };
}
