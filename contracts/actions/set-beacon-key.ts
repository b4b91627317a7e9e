/**
 * An authorized kiosk publishes the Ed25519 public key of its signed beacons; phones
 * read it (or the BeaconKeySet event) to verify the kiosk's beacons offline.
 */
import { sendRegistryTx, type RegistryClient, type TxReceipt } from '../client.js';
import { WaymarkError } from '../../core/errors.js';

export interface SetBeaconKeyParameters {
  /** 32-byte Ed25519 public key, hex (0x optional). */
  beaconKey: string;
}

export type SetBeaconKeyReturnType = TxReceipt;

export async function setBeaconKey(client: RegistryClient, params: SetBeaconKeyParameters): Promise<SetBeaconKeyReturnType> {
  const key = params.beaconKey.startsWith('0x') ? params.beaconKey : `0x${params.beaconKey}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(key) || /^0x0{64}$/.test(key)) {
    throw new WaymarkError('WAYMARK_ERR_BAD_REQUEST', 'beaconKey must be a non-zero 32-byte hex Ed25519 public key', { details: { field: 'beaconKey' } });
  }
  return (await sendRegistryTx(client, 'setBeaconKey', 'setBeaconKey', [key])).receipt;
}
