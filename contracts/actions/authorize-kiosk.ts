/**
 * The venue operator authorizes a kiosk (locator) address to commit batches for its venue.
 */
import { sendRegistryTx, type RegistryClient, type TxReceipt } from '../client.js';
import { assertAddress, assertVenueId } from '../validate.js';

export interface AuthorizeKioskParameters {
  venueId: bigint | number;
  kiosk: string;
}

export type AuthorizeKioskReturnType = TxReceipt;

export async function authorizeKiosk(client: RegistryClient, params: AuthorizeKioskParameters): Promise<AuthorizeKioskReturnType> {
  const venueId = assertVenueId(params.venueId);
  const kiosk = assertAddress(params.kiosk, 'kiosk');
  return (await sendRegistryTx(client, 'authorizeKiosk', 'authorizeKiosk', [venueId, kiosk])).receipt;
}
