/**
 * Closes batches: when the records waiting in all sources reach `maxRecords`, or the oldest
 * has waited `maxAgeS`, it takes up to `maxRecords` of them, builds their Merkle tree and
 * writes batch, leaves and seq to the outbox in one SQLite transaction.
 */
import { silentLogger, type Logger } from '../../core/log.js';
import type { BatchRecord, RecordSource } from './records.js';
import type { BatchRow, BatchStore, StoredLeaf } from './batch-store.js';
import { buildBatchTree, standardLeafHash } from './merkle.js';

export interface BatcherOptions {
  store: BatchStore;
  sources: RecordSource[];
  maxRecords: number;
  maxAgeS: number;
  /** The lowest seq to hand out (the kiosk's nextSeq on chain, when known). */
  firstSeq?: number;
  logger?: Logger;
}

export class Batcher {
  readonly store: BatchStore;
  readonly sources: RecordSource[];
  readonly maxRecords: number;
  readonly maxAgeMs: number;
  #firstSeq: number;
  readonly #log: Logger;

  constructor(opts: BatcherOptions) {
    if (!Number.isInteger(opts.maxRecords) || opts.maxRecords < 1) throw new RangeError(`maxRecords must be a positive integer, got ${opts.maxRecords}`);
    if (!(opts.maxAgeS > 0)) throw new RangeError(`maxAgeS must be positive, got ${opts.maxAgeS}`);
    this.store = opts.store;
    this.sources = opts.sources;
    this.maxRecords = opts.maxRecords;
    this.maxAgeMs = opts.maxAgeS * 1000;
    this.#firstSeq = opts.firstSeq ?? 0;
    this.#log = opts.logger ?? silentLogger;
  }

  /** Raise the lowest seq (after reading the kiosk's nextSeq on chain). */
  set firstSeq(seq: number) {
    this.#firstSeq = Math.max(this.#firstSeq, seq);
  }

  /** Records waiting in all sources, and whether a batch is due at `now` (ms). */
  due(now: number): { waiting: number; oldestReadyAt: number | null; due: boolean } {
    let waiting = 0;
    let oldest: number | null = null;
    for (const s of this.sources) {
      const p = s.pending();
      waiting += p.count;
      if (p.oldestReadyAt !== null && (oldest === null || p.oldestReadyAt < oldest)) oldest = p.oldestReadyAt;
    }
    const due = waiting >= this.maxRecords || (waiting > 0 && oldest !== null && now - oldest >= this.maxAgeMs);
    return { waiting, oldestReadyAt: oldest, due };
  }

  /** Close every batch that is due at `now` (at most `maxBatches`); returns them. */
  tick(now: number, maxBatches = 10): BatchRow[] {
    const made: BatchRow[] = [];
    while (made.length < maxBatches && this.due(now).due) {
      const row = this.cut(now);
      if (!row) break;
      made.push(row);
    }
    return made;
  }

  /** Close one batch now from whatever waits (oldest records first); null when nothing waits. */
  cut(now: number): BatchRow | null {
    const candidates: { source: RecordSource; record: BatchRecord }[] = [];
    for (const source of this.sources) {
      for (const record of source.take(this.maxRecords)) candidates.push({ source, record });
    }
    if (candidates.length === 0) return null;
    candidates.sort((a, b) => a.record.readyAt - b.record.readyAt || (a.record.id < b.record.id ? -1 : 1));
    const chosen = candidates.slice(0, this.maxRecords);
    const leaves: StoredLeaf[] = chosen.map(({ record }) => ({
      recordId: record.id,
      leafHash: standardLeafHash(record.leafEncoding, record.leaf),
      leafEncoding: record.leafEncoding,
      leaf: record.leaf,
      opening: record.opening,
      recordTime: Math.floor(record.toMs / 1000),
    }));
    const tree = buildBatchTree(leaves.map((l) => l.leafHash));
    let fromMs = Infinity;
    let toMs = -Infinity;
    for (const { record } of chosen) {
      fromMs = Math.min(fromMs, record.fromMs);
      toMs = Math.max(toMs, record.toMs);
    }
    const fromTime = Math.floor(fromMs / 1000);
    const toTime = Math.max(fromTime, Math.floor(toMs / 1000));
    const seq = this.store.nextSeq(this.#firstSeq);
    const row = this.store.create({ seq, root: tree.root, fromTime, toTime, createdAt: Math.round(now), leaves }, () => {
      for (const source of this.sources) {
        const ids = chosen.filter((c) => c.source === source).map((c) => c.record.id);
        if (ids.length > 0) source.markBatched(ids, seq);
      }
    });
    this.#log.info({ seq, count: row.count, root: row.root }, 'batch closed');
    return row;
  }
}
