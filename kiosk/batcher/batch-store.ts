/**
 * The durable outbox: batches (root, count, time range, seq, state), their leaves and
 * every signed commit transaction, in the kiosk's SQLite file (migration 003-batches).
 * A batch and its leaves are written in one transaction before anything is sent.
 */
import type { Database } from '../store/database.js';
import { buildBatchTree, type BatchTree } from './merkle.js';

export type BatchState = 'pending' | 'sent' | 'confirmed';

export interface BatchRow {
  seq: number;
  root: string;
  count: number;
  /** Unix seconds of the first and last record. */
  fromTime: number;
  toTime: number;
  /** ms since epoch (kiosk clock). */
  createdAt: number;
  state: BatchState;
  txHash: string | null;
  blockNumber: number | null;
  confirmedAt: number | null;
  attempts: number;
  lastError: string | null;
}

export interface BatchTx {
  txHash: string;
  seq: number;
  nonce: number;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  raw: string;
  /** ms since epoch, wall clock. */
  sentAt: number;
}

export interface StoredLeaf {
  recordId: string;
  leafHash: string;
  leafEncoding: readonly string[];
  leaf: readonly unknown[];
  opening?: Record<string, unknown>;
  /** Unix seconds of the record's end. */
  recordTime: number;
}

export interface NewBatch {
  seq: number;
  root: string;
  fromTime: number;
  toTime: number;
  createdAt: number;
  leaves: StoredLeaf[];
}

export interface StoredRecord {
  recordId: string;
  seq: number;
  leafHash: string;
  /** Null once retention pruned the leaf's values. */
  leafEncoding: string[] | null;
  leaf: unknown[] | null;
}

export interface BatchCounts {
  pending: number;
  sent: number;
  confirmed: number;
  total: number;
  lastConfirmedSeq: number | null;
  /** The newest confirmed batch's seq and transaction (the kiosk page shows it). */
  lastConfirmed: { seq: number; txHash: string; blockNumber: number } | null;
}

const BATCH_COLUMNS = `seq, root, count, from_time AS fromTime, to_time AS toTime, created_at AS createdAt, state,
  tx_hash AS txHash, block_number AS blockNumber, confirmed_at AS confirmedAt, attempts, last_error AS lastError`;

export class BatchStore {
  readonly db: Database;
  readonly #trees = new Map<number, BatchTree>();

  constructor(db: Database) {
    this.db = db;
  }

  /** The seq the next batch gets: one past the highest, or `floor` if that is higher. */
  nextSeq(floor = 0): number {
    const row = this.db.prepare('SELECT MAX(seq) AS seq FROM batches').get() as { seq: number | null };
    return Math.max(row.seq === null ? 0 : row.seq + 1, floor);
  }

  /** Writes a batch and its leaves; `inTransaction` (marking the sources) runs in the same transaction. */
  create(batch: NewBatch, inTransaction: () => void = () => {}): BatchRow {
    const insertBatch = this.db.prepare(`INSERT INTO batches (seq, root, count, from_time, to_time, created_at, state)
      VALUES (?, ?, ?, ?, ?, ?, 'pending')`);
    const insertLeaf = this.db.prepare(`INSERT INTO batch_records (record_id, seq, leaf_hash, leaf_encoding, leaf, opening, record_time)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.db.transaction(() => {
      insertBatch.run(batch.seq, batch.root, batch.leaves.length, batch.fromTime, batch.toTime, batch.createdAt);
      for (const l of batch.leaves) {
        insertLeaf.run(l.recordId, batch.seq, l.leafHash, JSON.stringify(l.leafEncoding), JSON.stringify(l.leaf),
          l.opening ? JSON.stringify(l.opening) : null, l.recordTime);
      }
      inTransaction();
    })();
    return this.get(batch.seq)!;
  }

  get(seq: number): BatchRow | undefined {
    return this.db.prepare(`SELECT ${BATCH_COLUMNS} FROM batches WHERE seq = ?`).get(seq) as BatchRow | undefined;
  }

  /** Newest first; `beforeSeq` pages backwards. */
  list(opts: { state?: BatchState; limit?: number; beforeSeq?: number } = {}): BatchRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.state) { where.push('state = ?'); args.push(opts.state); }
    if (opts.beforeSeq !== undefined) { where.push('seq < ?'); args.push(opts.beforeSeq); }
    const sql = `SELECT ${BATCH_COLUMNS} FROM batches ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ?`;
    return this.db.prepare(sql).all(...args, opts.limit ?? 50) as BatchRow[];
  }

  /** Pending and sent batches, lowest seq first: the sender's work list. */
  unconfirmed(): BatchRow[] {
    return this.db.prepare(`SELECT ${BATCH_COLUMNS} FROM batches WHERE state != 'confirmed' ORDER BY seq`).all() as BatchRow[];
  }

  txs(seq: number): BatchTx[] {
    return (this.db.prepare(`SELECT tx_hash AS txHash, seq, nonce, max_fee_per_gas AS maxFee, max_priority_fee_per_gas AS maxPriority,
      raw, sent_at AS sentAt FROM batch_txs WHERE seq = ? ORDER BY sent_at, rowid`).all(seq) as any[])
      .map(({ maxFee, maxPriority, ...r }) => ({ ...r, maxFeePerGas: BigInt(maxFee), maxPriorityFeePerGas: BigInt(maxPriority) }));
  }

  /**
   * A signed commit, stored before it is broadcast: the batch is `sent` from here on.
   * Signing is deterministic, so a re-sign with the same nonce and fees is the same row.
   */
  recordSent(tx: BatchTx): void {
    this.db.transaction(() => {
      this.db.prepare(`INSERT INTO batch_txs (tx_hash, seq, nonce, max_fee_per_gas, max_priority_fee_per_gas, raw, sent_at)
        VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(tx_hash) DO UPDATE SET sent_at = excluded.sent_at`).run(tx.txHash, tx.seq, tx.nonce, tx.maxFeePerGas.toString(), tx.maxPriorityFeePerGas.toString(), tx.raw, tx.sentAt);
      this.db.prepare(`UPDATE batches SET state = 'sent', tx_hash = ?, block_number = NULL, attempts = attempts + 1 WHERE seq = ?`).run(tx.txHash, tx.seq);
    })();
  }

  /** The commit is in a block (not yet deep enough). */
  markMined(seq: number, txHash: string, blockNumber: number): void {
    this.db.prepare(`UPDATE batches SET state = 'sent', tx_hash = ?, block_number = ?, last_error = NULL WHERE seq = ?`).run(txHash, blockNumber, seq);
  }

  markConfirmed(seq: number, txHash: string | null, blockNumber: number | null, at: number): void {
    this.db.prepare(`UPDATE batches SET state = 'confirmed', tx_hash = COALESCE(?, tx_hash), block_number = COALESCE(?, block_number),
      confirmed_at = ?, last_error = NULL WHERE seq = ?`).run(txHash, blockNumber, at, seq);
  }

  /** The receipt disappeared (reorg): still sent, no block. */
  markUnmined(seq: number): void {
    this.db.prepare('UPDATE batches SET block_number = NULL WHERE seq = ?').run(seq);
  }

  /** Back to pending: the batch is committed again with a fresh transaction. */
  markPending(seq: number, error: string | null = null): void {
    this.db.prepare(`UPDATE batches SET state = 'pending', block_number = NULL, confirmed_at = NULL, last_error = COALESCE(?, last_error) WHERE seq = ?`).run(error, seq);
  }

  setError(seq: number, error: string | null): void {
    this.db.prepare('UPDATE batches SET last_error = ? WHERE seq = ?').run(error, seq);
  }

  counts(): BatchCounts {
    const rows = this.db.prepare('SELECT state, COUNT(*) AS n FROM batches GROUP BY state').all() as { state: BatchState; n: number }[];
    const c: BatchCounts = { pending: 0, sent: 0, confirmed: 0, total: 0, lastConfirmedSeq: null, lastConfirmed: null };
    for (const r of rows) { c[r.state] = r.n; c.total += r.n; }
    const last = this.db.prepare(`SELECT seq, tx_hash AS txHash, block_number AS blockNumber FROM batches
      WHERE state = 'confirmed' ORDER BY seq DESC LIMIT 1`).get() as { seq: number; txHash: string; blockNumber: number } | undefined;
    c.lastConfirmedSeq = last?.seq ?? null;
    c.lastConfirmed = last ?? null;
    return c;
  }

  record(recordId: string): StoredRecord | undefined {
    const row = this.db.prepare(`SELECT record_id AS recordId, seq, leaf_hash AS leafHash, leaf_encoding AS enc, leaf
      FROM batch_records WHERE record_id = ?`).get(recordId) as { recordId: string; seq: number; leafHash: string; enc: string | null; leaf: string | null } | undefined;
    if (!row) return undefined;
    return { recordId: row.recordId, seq: row.seq, leafHash: row.leafHash, leafEncoding: row.enc ? JSON.parse(row.enc) : null, leaf: row.leaf ? JSON.parse(row.leaf) : null };
  }

  /** The batch's tree, rebuilt from its stored leaf hashes (a few recent ones are cached). */
  tree(seq: number): BatchTree {
    let tree = this.#trees.get(seq);
    if (!tree) {
      const hashes = (this.db.prepare('SELECT leaf_hash AS h FROM batch_records WHERE seq = ?').all(seq) as { h: string }[]).map((r) => r.h);
      tree = buildBatchTree(hashes);
      this.#trees.set(seq, tree);
      if (this.#trees.size > 16) this.#trees.delete(this.#trees.keys().next().value!);
    }
    return tree;
  }

  /**
   * Retention: forget the leaf values and openings of records that ended before `cutoffS`
   * (Unix seconds). Leaf hashes stay, so the other records' proofs still build.
   */
  pruneLeaves(cutoffS: number): number {
    return this.db.prepare(`UPDATE batch_records SET leaf_encoding = NULL, leaf = NULL, opening = NULL
      WHERE record_time < ? AND leaf IS NOT NULL`).run(cutoffS).changes;
  }

  /**
   * Retention: delete the leaves of batches whose every record ended before `cutoffS` (Unix
   * seconds); no proof of them will be asked for again. The batch rows (seq, root,
   * transactions) stay as the outbox's history.
   */
  deleteLeavesOfBatchesBefore(cutoffS: number): number {
    const deleted = this.db.prepare('DELETE FROM batch_records WHERE seq IN (SELECT seq FROM batches WHERE to_time < ?)').run(cutoffS).changes;
    if (deleted > 0) this.#trees.clear();
    return deleted;
  }
}
