/**
 * What the batcher anchors: records from several sources (closed sighting sessions, check-in
 * attestations), each a Merkle leaf with its own Solidity encoding, and the small interface
 * every record source implements so the batcher can take them and mark them batched.
 */

/** One record as it enters a batch tree. */
export interface BatchRecord {
  /** Stable and unique across sources: `s-<session id>`, `a-<attestation id>`. */
  id: string;
  /** Solidity types of the leaf (OpenZeppelin StandardMerkleTree leaf encoding). */
  leafEncoding: readonly string[];
  /** The leaf's values, JSON-safe (numbers are safe integers, bytes are 0x hex). */
  leaf: readonly unknown[];
  /** What the record covers, ms since epoch (kiosk clock); the batch's fromTime/toTime. */
  fromMs: number;
  toMs: number;
  /** When the record became ready to batch, ms; the batch age counts from the oldest one. */
  readyAt: number;
  /** A secret that opens a blinded leaf field (kept locally, deleted with retention). */
  opening?: Record<string, unknown>;
}

/**
 * A store of records waiting to be batched. `markBatched` runs inside the SQLite
 * transaction that writes the batch (same database handle), so a record is either in
 * exactly one batch or in none.
 */
export interface RecordSource {
  /** Short name for logs and metrics, e.g. `sessions`, `attestations`. */
  readonly name: string;
  /** How many records wait, and the `readyAt` of the oldest (null when none wait). */
  pending(): { count: number; oldestReadyAt: number | null };
  /** Up to `limit` waiting records, oldest first. */
  take(limit: number): BatchRecord[];
  markBatched(ids: readonly string[], seq: number): void;
}

const ATTESTATION_ID = /^0x[0-9a-fA-F]{64}$/;

/**
 * The canonical record id for a proof request. An attestation may be named by its bare
 * EIP-712 digest (what the visitor's phone holds), which is the record `a-<digest>`.
 */
export function canonicalRecordId(id: string): string {
  return ATTESTATION_ID.test(id) ? `a-${id.toLowerCase()}` : id;
}
