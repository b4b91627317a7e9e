/**
 * Reads the Merkle root a kiosk committed under a sequence number (zero hash if none), so
 * an outbox that got WAYMARK_ERR_CHAIN_SEQ_REPLAY can confirm its batch did land.
 */
import { readRegistry, type RegistryClient } from '../client.js';
import { assertAddress, assertUint } from '../validate.js';

export interface BatchRootParameters {
  kiosk: string;
  seq: bigint | number;
}

export type BatchRootReturnType = string;

export async function batchRoot(client: RegistryClient, params: BatchRootParameters): Promise<BatchRootReturnType> {
  const kiosk = assertAddress(params.kiosk, 'kiosk');
  const seq = assertUint(params.seq, 'seq');
  return readRegistry<string>(client, 'batchRoot', 'batchRoot', [kiosk, seq]);
}
