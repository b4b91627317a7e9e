/**
 * The venue operator declares an Infected venue cleaned: Infected -> Clean at once.
 */
import { sendRegistryTx, type RegistryClient, type TxReceipt } from '../client.js';
import { assertVenueId } from '../validate.js';

export interface MarkCleanedParameters {
  venueId: bigint | number;
}

export type MarkCleanedReturnType = TxReceipt;

export async function markCleaned(client: RegistryClient, params: MarkCleanedParameters): Promise<MarkCleanedReturnType> {
  const venueId = assertVenueId(params.venueId);
  return (await sendRegistryTx(client, 'markCleaned', 'markCleaned', [venueId])).receipt;
}
