/**
 * Reads whether an address is a currently authorized kiosk of a venue.
 */
import { readRegistry, type RegistryClient } from '../client.js';
import { assertAddress, assertVenueId } from '../validate.js';

export interface IsKioskParameters {
  venueId: bigint | number;
  kiosk: string;
}

export type IsKioskReturnType = boolean;

export async function isKiosk(client: RegistryClient, params: IsKioskParameters): Promise<IsKioskReturnType> {
  const venueId = assertVenueId(params.venueId);
  const kiosk = assertAddress(params.kiosk, 'kiosk');
  return readRegistry<boolean>(client, 'isKiosk', 'isKiosk', [venueId, kiosk]);
}
