/**
 * The venue operator revokes a kiosk; its later commits revert with NotAuthorizedKiosk.
 */
import { sendRegistryTx, type RegistryClient, type TxReceipt } from '../client.js';
import { assertAddress, assertVenueId } from '../validate.js';

export interface RevokeKioskParameters {
  venueId: bigint | number;
  kiosk: string;
}

export type RevokeKioskReturnType = TxReceipt;

export async function revokeKiosk(client: RegistryClient, params: RevokeKioskParameters): Promise<RevokeKioskReturnType> {
  const venueId = assertVenueId(params.venueId);
  const kiosk = assertAddress(params.kiosk, 'kiosk');
  return (await sendRegistryTx(client, 'revokeKiosk', 'revokeKiosk', [venueId, kiosk])).receipt;
}
