/**
 * Registers (or rotates) the region authority for a geohash prefix; the signer must be the
 * registry admin or the authority of a shorter prefix enclosing it.
 */
import { findEvent, sendRegistryTx, type RegistryClient, type TxReceipt } from '../client.js';
import { assertAddress, assertRegionPrefix } from '../validate.js';

export interface RegisterRegionParameters {
  /** 1..8 geohash characters, e.g. `u4pr`. */
  prefix: string;
  authority: string;
}

export interface RegisterRegionReturnType extends TxReceipt {
  prefix: string;
  authority: string;
}

export async function registerRegion(client: RegistryClient, params: RegisterRegionParameters): Promise<RegisterRegionReturnType> {
  const prefix = assertRegionPrefix(params.prefix);
  const authority = assertAddress(params.authority, 'authority');
  const { receipt, logs, contract } = await sendRegistryTx(client, 'registerRegion', 'registerRegion', [prefix, authority]);
  findEvent(contract, logs, 'RegionAuthorityRegistered');
  return { ...receipt, prefix, authority };
}
