/**
 * Check-in attestations as batch records: the leaf is the attestation's EIP-712 digest
 * (its id), encoded `['bytes32']`, as beacon/visitor/proofs.ts verifies it. Adapts the
 * check-in store (kiosk/checkin) to the batcher's RecordSource.
 */
import type { BatchRecord, RecordSource } from './records.js';

export const ATTESTATION_LEAF_ENCODING = ['bytes32'] as const;

/** What the batcher needs from the check-in store. */
export interface AttestationLedger {
  /** Attestations not yet in a batch, oldest first. */
  listUnbatchedAttestations(limit: number): { id: string; time: number; createdAt: number }[];
  /** `unbatched`: how many wait (else counted from a listing). */
  counts?(): { unbatched: number };
  /** Sets batch_seq on the attestations (ids are the bare 0x digests). */
  markBatched(ids: readonly string[], seq: number): void;
}

export function attestationRecord(att: { id: string; time: number; createdAt: number }): BatchRecord {
  const id = att.id.toLowerCase();
  return {
    id: `a-${id}`,
    leafEncoding: ATTESTATION_LEAF_ENCODING,
    leaf: [id],
    fromMs: att.time * 1000,
    toMs: att.time * 1000,
    readyAt: att.createdAt,
  };
}

export function attestationRecordSource(ledger: AttestationLedger, scanLimit = 100_000): RecordSource {
  return {
    name: 'attestations',
    pending() {
      const oldest = ledger.listUnbatchedAttestations(1)[0];
      if (!oldest) return { count: 0, oldestReadyAt: null };
      const count = ledger.counts ? ledger.counts().unbatched : ledger.listUnbatchedAttestations(scanLimit).length;
      return { count, oldestReadyAt: oldest.createdAt };
    },
    take: (limit) => ledger.listUnbatchedAttestations(limit).map(attestationRecord),
    markBatched(ids, seq) {
      ledger.markBatched(ids.map((id) => {
        if (!id.startsWith('a-')) throw new Error(`not an attestation record id: ${id}`);
        return id.slice(2);
      }), seq);
    },
  };
}
