/**
 * Every beacon key currently vouched for by the registry, from its BeaconKeySet events:
 * what a phone downloads ahead of time to verify kiosk beacons with no network. Keys of
 * revoked kiosks, and keys a kiosk has since replaced, are left out.
 */
import { registryContract, type RegistryClient } from '../client.js';
import { toChainError } from '../chain-errors.js';
import { beaconKeyFor } from './beacon-key-for.js';

export interface ListBeaconKeysParameters {
  fromBlock?: number;
  /** Only keys of kiosks at this venue. */
  venueId?: bigint | number;
}

export type ListBeaconKeysReturnType = { beaconId: string; beaconKey: string; venueId: bigint; kiosk: string }[];

export async function listBeaconKeys(client: RegistryClient, params: ListBeaconKeysParameters = {}): Promise<ListBeaconKeysReturnType> {
  const contract = registryContract(client);
  let logs;
  try {
    logs = await contract.queryFilter(contract.filters.BeaconKeySet!(params.venueId ?? null), params.fromBlock ?? 0);
  } catch (err) {
    throw toChainError(err, 'listBeaconKeys');
  }
  const ids = new Set<string>();
  for (const log of logs) {
    const args = (log as { args?: { beaconId: string } }).args;
    if (args) ids.add(args.beaconId.toLowerCase());
  }
  const out: ListBeaconKeysReturnType = [];
  for (const id of ids) {
    const found = await beaconKeyFor(client, { beaconId: id });
    if (found) out.push({ beaconId: id.slice(2), ...found });
  }
  return out;
}
