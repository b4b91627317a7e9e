/**
 * Looks up the beacon key, venue and kiosk behind the 8-byte kiosk id a beacon carries;
 * null when the id is unknown or its kiosk was revoked.
 */
import { readRegistry, type RegistryClient } from '../client.js';
import { WaymarkError } from '../../core/errors.js';

export interface BeaconKeyForParameters {
  /** 8-byte beacon kiosk id, hex (0x optional). */
  beaconId: string;
}

export type BeaconKeyForReturnType = { beaconKey: string; venueId: bigint; kiosk: string } | null;

export async function beaconKeyFor(client: RegistryClient, params: BeaconKeyForParameters): Promise<BeaconKeyForReturnType> {
  const id = params.beaconId.startsWith('0x') ? params.beaconId : `0x${params.beaconId}`;
  if (!/^0x[0-9a-fA-F]{16}$/.test(id)) throw new WaymarkError('WAYMARK_ERR_BAD_REQUEST', 'beaconId must be 8 bytes hex', { details: { field: 'beaconId' } });
  const [key, venueId, kiosk] = await readRegistry<[string, bigint, string]>(client, 'beaconKeyFor', 'beaconKeyFor', [id]);
  if (/^0x0{64}$/.test(key)) return null;
  return { beaconKey: key.slice(2), venueId, kiosk };
}
