/**
 * The outbox's read side for the HTTP API, free of HTTP: batch lists, one batch with its
 * transactions, and a record's Merkle proof in the shape clients verify with
 * `StandardMerkleTree.verify(root, leafEncoding, leaf, proof)`.
 */
import { WaymarkError } from '../../core/errors.js';
import type { BatchCounts, BatchRow, BatchState, BatchStore } from './batch-store.js';
import { canonicalRecordId } from './records.js';
import type { RecordProof } from '../../beacon/visitor/proofs.js';

export interface BatchView extends BatchRow {
  transactions?: { txHash: string; nonce: number; maxFeePerGas: string; maxPriorityFeePerGas: string; sentAt: number }[];
}

export function listBatches(store: BatchStore, q: { state?: BatchState; limit?: number; before?: number } = {}): { counts: BatchCounts; batches: BatchRow[] } {
  return { counts: store.counts(), batches: store.list({ state: q.state, limit: q.limit ?? 50, beforeSeq: q.before }) };
}

export function getBatch(store: BatchStore, seq: number): BatchView {
  const row = store.get(seq);
  if (!row) throw new WaymarkError('WAYMARK_ERR_NOT_FOUND', `batch ${seq}`, { details: { seq } });
  return {
    ...row,
    transactions: store.txs(seq).map((t) => ({
      txHash: t.txHash, nonce: t.nonce, maxFeePerGas: t.maxFeePerGas.toString(), maxPriorityFeePerGas: t.maxPriorityFeePerGas.toString(), sentAt: t.sentAt,
    })),
  };
}

/** The proof API's body: the visitor SDK's RecordProof, plus the batch's outbox state. */
export interface RecordProofView extends RecordProof {
  /** The batch's outbox state: only `confirmed` is anchored beyond the confirmation depth. */
  state: BatchState;
  blockNumber: number | null;
}

/** The proof of a batched record; WAYMARK_ERR_NOT_FOUND while it is in no batch (or was pruned). */
export function recordProof(store: BatchStore, id: string): RecordProofView {
  const recordId = canonicalRecordId(id);
  const rec = store.record(recordId);
  if (!rec) throw new WaymarkError('WAYMARK_ERR_NOT_FOUND', `record ${id} is not in a batch (yet)`, { details: { id: recordId } });
  if (!rec.leaf || !rec.leafEncoding) {
    throw new WaymarkError('WAYMARK_ERR_NOT_FOUND', `record ${id} is past the retention period; its leaf was forgotten`, { details: { id: recordId, seq: rec.seq } });
  }
  const batch = store.get(rec.seq)!;
  const tree = store.tree(rec.seq);
  return {
    leaf: rec.leaf,
    leafEncoding: rec.leafEncoding,
    proof: tree.proof(rec.leafHash),
    root: batch.root,
    seq: batch.seq,
    txHash: batch.txHash,
    state: batch.state,
    blockNumber: batch.blockNumber,
  };
}
