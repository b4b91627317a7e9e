/**
 * A kiosk anchors one batch: the Merkle root over `count` records from [fromTime, toTime],
 * with its next sequence number. A retry of a landed batch fails with
 * WAYMARK_ERR_CHAIN_SEQ_REPLAY (compare batchRoot to treat it as done).
 */
import { WaymarkError } from '../../core/errors.js';
import type { BatchCommit } from '../../core/ports.js';
import { sendRegistryTx, type RegistryClient, type TxReceipt } from '../client.js';
import { assertBytes32, assertCount, assertTime, assertUint, assertVenueId } from '../validate.js';

export type CommitBatchParameters = BatchCommit;

export type CommitBatchReturnType = TxReceipt;

/** Validates a batch and returns the contract call's arguments, in order (also used by the outbox). */
export function commitBatchArgs(params: CommitBatchParameters): [bigint, bigint, string, bigint, bigint, bigint] {
  const venueId = assertVenueId(params.venueId);
  const seq = assertUint(params.seq, 'seq');
  const merkleRoot = assertBytes32(params.merkleRoot, 'merkleRoot');
  const count = assertCount(params.count);
  const fromTime = assertTime(params.fromTime, 'fromTime');
  const toTime = assertTime(params.toTime, 'toTime');
  if (fromTime > toTime) {
    throw new WaymarkError('WAYMARK_ERR_CHAIN_BAD_BATCH', `fromTime ${fromTime} is after toTime ${toTime}`, { details: { fromTime: fromTime.toString(), toTime: toTime.toString() } });
  }
  return [venueId, seq, merkleRoot, count, fromTime, toTime];
}

export async function commitBatch(client: RegistryClient, params: CommitBatchParameters): Promise<CommitBatchReturnType> {
  return (await sendRegistryTx(client, 'commitBatch', 'commitBatch', commitBatchArgs(params))).receipt;
}
