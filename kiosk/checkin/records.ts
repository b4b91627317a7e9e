/**
 * The attestation store and the batcher's interface to it: every signed attestation is a
 * row (id = its EIP-712 digest = its Merkle leaf) with `batch_seq` NULL until a batch takes
 * it. The batcher pulls `listUnbatchedAttestations(limit)`, builds its tree over `leaf`
 * with `leafEncoding`, and calls `markBatched(ids, seq)` in the same step it writes the
 * batch to its outbox. The replay guard of check-in tokens shares the transaction.
 */
import { WaymarkError } from '../../core/errors.js';
import { durableTransaction, type Database } from '../store/database.js';
import { ATTESTATION_LEAF_ENCODING, attestationLeaf } from '../../beacon/visitor/proofs.js';
import type { PresenceKind, SignedCheckinAttestation } from '../../beacon/visitor/attestation.js';

/** One attestation as the batcher sees it. */
export interface AttestationRecord {
  /** 0x EIP-712 digest: the record id in `GET /v1/records/:id/proof`. */
  id: string;
  kiosk: string;
  kioskSeq: number;
  /** Unix seconds (message.time): the batch's fromTime/toTime come from these. */
  time: number;
  presence: PresenceKind;
  /** ms since epoch, kiosk clock, when the row was written. */
  createdAt: number;
  batchSeq: number | null;
  /** The Merkle leaf values and their ABI types (StandardMerkleTree.of(leaves, leafEncoding)). */
  leaf: [string];
  leafEncoding: readonly string[];
  attestation: SignedCheckinAttestation;
}

/** A check-in token use to record with the attestation; a second use by the same visitor is refused. */
export interface TokenUse {
  nonce: Uint8Array;
  visitor: Uint8Array;
  /** Unix seconds after which the row may be pruned. */
  expiresAt: number;
}

/** `meta` key (plus the kiosk address) of a kiosk's next attestation seq, kept when retention deletes its rows. */
const NEXT_SEQ_KEY = 'attestations:next-seq:';

interface Row {
  id: string;
  kiosk: string;
  kiosk_seq: number;
  time: number;
  presence: string;
  typed_data: string;
  signature: string;
  created_at: number;
  batch_seq: number | null;
}

function toRecord(row: Row): AttestationRecord {
  const attestation: SignedCheckinAttestation = { id: row.id, typedData: JSON.parse(row.typed_data), signature: row.signature };
  return {
    id: row.id,
    kiosk: row.kiosk,
    kioskSeq: row.kiosk_seq,
    time: row.time,
    presence: row.presence as PresenceKind,
    createdAt: row.created_at,
    batchSeq: row.batch_seq,
    leaf: attestationLeaf(attestation),
    leafEncoding: ATTESTATION_LEAF_ENCODING,
    attestation,
  };
}

export class AttestationStore {
  readonly #db: Database;
  readonly #insert;
  readonly #useToken;
  readonly #unbatched;
  readonly #mark;
  readonly #byId;

  constructor(db: Database) {
    this.#db = db;
    this.#insert = db.prepare(`INSERT INTO attestations (id, kiosk, kiosk_seq, time, presence, typed_data, signature, created_at)
      VALUES (@id, @kiosk, @kioskSeq, @time, @presence, @typedData, @signature, @createdAt)`);
    this.#useToken = db.prepare('INSERT OR IGNORE INTO checkin_token_uses (nonce, visitor, expires_at) VALUES (?, ?, ?)');
    this.#unbatched = db.prepare('SELECT * FROM attestations WHERE batch_seq IS NULL ORDER BY created_at, kiosk_seq LIMIT ?');
    this.#mark = db.prepare('UPDATE attestations SET batch_seq = ? WHERE id = ? AND batch_seq IS NULL');
    this.#byId = db.prepare('SELECT * FROM attestations WHERE id = ?');
  }

  /** The next unused sequence number of a kiosk (0 for a new one), also after retention deleted its rows. */
  nextKioskSeq(kiosk: string): number {
    const row = this.#db.prepare('SELECT MAX(kiosk_seq) AS m FROM attestations WHERE kiosk = ?').get(kiosk) as { m: number | null };
    const kept = this.#db.prepare('SELECT value FROM meta WHERE key = ?').get(NEXT_SEQ_KEY + kiosk) as { value: string } | undefined;
    return Math.max(row.m === null ? 0 : row.m + 1, kept ? Number(kept.value) : 0);
  }

  /**
   * In one transaction: records the token use (WAYMARK_ERR_CHECKIN_TOKEN_USED if this visitor
   * used it already, and nothing else happens), calls `sign` and stores what it returns.
   */
  recordCheckin(createdAt: number, tokenUse: TokenUse | undefined, sign: () => SignedCheckinAttestation): SignedCheckinAttestation {
    // the attestation is on disk before the visitor gets it (HTTP 201 or the BLE reply)
    return durableTransaction(this.#db, () => {
      if (tokenUse && this.#useToken.run(tokenUse.nonce, tokenUse.visitor, tokenUse.expiresAt).changes === 0) {
        throw new WaymarkError('WAYMARK_ERR_CHECKIN_TOKEN_USED', 'this visitor commitment already checked in with this token');
      }
      const att = sign();
      const m = att.typedData.message;
      this.#insert.run({
        id: att.id, kiosk: m.kiosk, kioskSeq: m.seq, time: m.time, presence: m.presence,
        typedData: JSON.stringify(att.typedData), signature: att.signature, createdAt: Math.round(createdAt),
      });
      return att;
    });
  }

  /** Attestations no batch has taken yet, oldest first. */
  listUnbatchedAttestations(limit: number): AttestationRecord[] {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
    return (this.#unbatched.all(limit) as Row[]).map(toRecord);
  }

  /**
   * Assigns records to batch `seq`, all or none. Idempotent: an id already in the same batch
   * is fine; an unknown id or one in another batch throws WAYMARK_ERR_STORE.
   */
  markBatched(ids: readonly string[], seq: number): number {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`seq must be a non-negative integer, got ${seq}`);
    return this.#db.transaction(() => {
      let changed = 0;
      for (const id of ids) {
        if (this.#mark.run(seq, id).changes === 1) {
          changed++;
          continue;
        }
        const row = this.#byId.get(id) as Row | undefined;
        if (!row) throw new WaymarkError('WAYMARK_ERR_STORE', `markBatched: no attestation ${id}`);
        if (row.batch_seq !== seq) throw new WaymarkError('WAYMARK_ERR_STORE', `markBatched: attestation ${id} is already in batch ${row.batch_seq}`);
      }
      return changed;
    })();
  }

  getAttestation(id: string): AttestationRecord | undefined {
    const row = this.#byId.get(id.toLowerCase()) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** The attestations of one batch, in kiosk sequence order (the batcher's tree rebuild / proof route). */
  listBatch(seq: number): AttestationRecord[] {
    return (this.#db.prepare('SELECT * FROM attestations WHERE batch_seq = ? ORDER BY kiosk_seq').all(seq) as Row[]).map(toRecord);
  }

  counts(): { total: number; unbatched: number } {
    return this.#db.prepare('SELECT COUNT(*) AS total, COALESCE(SUM(batch_seq IS NULL), 0) AS unbatched FROM attestations').get() as { total: number; unbatched: number };
  }

  /** Forgets token uses whose token has expired (they can no longer be replayed anyway). */
  pruneTokenUses(nowS: number): number {
    return this.#db.prepare('DELETE FROM checkin_token_uses WHERE expires_at < ?').run(Math.floor(nowS)).changes;
  }

  /** Deletes batched attestations created before `beforeMs` (unbatched ones are kept). */
  deleteBatchedBefore(beforeMs: number): number {
    return this.#deleteWhere('batch_seq IS NOT NULL AND created_at < ?', beforeMs);
  }

  /**
   * Retention: deletes every attestation created before `beforeMs`, batched or not. One
   * never batched by then can no longer matter: the registry refuses an exposure window
   * that ended longer ago than its expiry period (the retention period's counterpart).
   */
  deleteBefore(beforeMs: number): { batched: number; unbatched: number } {
    return this.#db.transaction(() => {
      const unbatched = this.#deleteWhere('batch_seq IS NULL AND created_at < ?', beforeMs);
      return { batched: this.#deleteWhere('created_at < ?', beforeMs), unbatched };
    })();
  }

  /** Deletes rows, first remembering each kiosk's next seq in `meta`, so a seq is never signed twice. */
  #deleteWhere(where: string, beforeMs: number): number {
    const cutoff = Math.floor(beforeMs);
    return this.#db.transaction(() => {
      const maxima = this.#db.prepare(`SELECT kiosk, MAX(kiosk_seq) AS m FROM attestations WHERE ${where} GROUP BY kiosk`).all(cutoff) as { kiosk: string; m: number }[];
      for (const { kiosk, m } of maxima) {
        const next = Math.max(m + 1, this.nextKioskSeq(kiosk));
        this.#db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(NEXT_SEQ_KEY + kiosk, String(next));
      }
      return this.#db.prepare(`DELETE FROM attestations WHERE ${where}`).run(cutoff).changes;
    })();
  }
}
