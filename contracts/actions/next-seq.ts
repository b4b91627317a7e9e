/**
 * Reads the sequence number a kiosk's next batch must carry (0 for a new kiosk).
 */
import { readRegistry, type RegistryClient } from '../client.js';
import { assertAddress } from '../validate.js';

export interface NextSeqParameters {
  kiosk: string;
}

export type NextSeqReturnType = bigint;

export async function nextSeq(client: RegistryClient, params: NextSeqParameters): Promise<NextSeqReturnType> {
  const kiosk = assertAddress(params.kiosk, 'kiosk');
  return readRegistry<bigint>(client, 'nextSeq', 'nextSeq', [kiosk]);
}
