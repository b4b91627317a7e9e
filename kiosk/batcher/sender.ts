/**
 * The outbox sender: commits stored batches in seq order, one in flight at a time. Every
 * signed transaction is stored before it is broadcast; on each round the sender follows
 * receipts to the confirmation depth and repairs what went wrong: RPC errors (backoff),
 * a lost or dropped transaction (rebroadcast), a nonce taken by another transaction
 * (re-sign), a stuck or refused commit (same nonce, fees bumped under the cap; whichever
 * of its transactions is mined counts), a receipt gone in a reorg (re-commit), a commit
 * waiting behind nonces whose transactions are gone (the gap is filled), and, while idle,
 * confirmed commits a deeper reorg took away (re-commit).
 */
import { TypedEmitter } from '../../core/events.js';
import { WaymarkError, isWaymarkError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/log.js';
import type { BatchRow, BatchStore, BatchTx } from './batch-store.js';
import type { CommitReceipt, OutboxChain } from './outbox-chain.js';
import { backoffMs, bumpFees, capFees, gweiToWei, type FeeQuote } from './fees.js';

export interface BatchSenderOptions {
  store: BatchStore;
  chain: OutboxChain;
  venueId: number;
  /** Blocks a commit must be buried under (1 = its own block) before it counts as confirmed; 0 = on receipt. */
  confirmations: number;
  maxFeeGwei: number;
  logger?: Logger;
  /** Kiosk-clock time for confirmedAt (ms). */
  now?: () => number;
  /** Wall-clock time for resend and backoff decisions (ms). */
  wallNow?: () => number;
  /** Idle poll interval, ms (default 1000). */
  pollMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** A sent commit that is not mined after this long is re-priced (same nonce), ms. */
  resendAfterMs?: number;
  /**
   * While idle, how often the chain's nextSeq is read again to catch confirmed commits that a
   * reorg deeper than the confirmations took away, ms (default 60 000).
   */
  recheckMs?: number;
  /** Test seam: runs after a signed commit was stored and before it is broadcast. */
  beforeBroadcast?: (tx: BatchTx) => Promise<void> | void;
  /** The timer the sender waits on between rounds (default the global one; tests drive time with their own). */
  timer?: SenderTimer;
}

export interface SenderTimer {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const globalTimer: SenderTimer = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface SenderStats {
  commitsSent: number;
  commitFailures: number;
  reorgs: number;
  rebroadcasts: number;
  /** Stuck or refused commits signed again with higher fees (same nonce). */
  repriced: number;
  /** Commits found waiting behind nonces no transaction held any more, and the gap repaired. */
  nonceGaps: number;
  /** Consecutive failed rounds (0 when the last round succeeded). */
  failing: number;
  lastError: string | null;
}

export type BatchSenderEvents = {
  confirmed: (batch: BatchRow) => void;
  /** A round failed (it is retried after a backoff). */
  failed: (err: WaymarkError) => void;
};

type Round = 'idle' | 'progress' | 'waiting';

export class BatchSender extends TypedEmitter<BatchSenderEvents> {
  readonly store: BatchStore;
  readonly chain: OutboxChain;
  readonly #o: Required<Omit<BatchSenderOptions, 'beforeBroadcast' | 'logger' | 'store' | 'chain'>> & Pick<BatchSenderOptions, 'beforeBroadcast'>;
  readonly #log: Logger;
  readonly #stats: SenderStats = { commitsSent: 0, commitFailures: 0, reorgs: 0, rebroadcasts: 0, repriced: 0, nonceGaps: 0, failing: 0, lastError: null };
  #running = false;
  #loop: Promise<void> | undefined;
  /** Ends the current wait early: `stop()` always, `wake()` only when the wait is not a backoff. */
  #interrupt: (() => void) | undefined;
  #wakeable = false;
  #woken = false;
  #lastRecheck = -Infinity;

  constructor(opts: BatchSenderOptions) {
    super();
    this.store = opts.store;
    this.chain = opts.chain;
    this.#log = opts.logger ?? silentLogger;
    this.#o = {
      venueId: opts.venueId,
      confirmations: opts.confirmations,
      maxFeeGwei: opts.maxFeeGwei,
      now: opts.now ?? Date.now,
      wallNow: opts.wallNow ?? Date.now,
      pollMs: opts.pollMs ?? 1000,
      backoffMinMs: opts.backoffMinMs ?? 500,
      backoffMaxMs: opts.backoffMaxMs ?? 60_000,
      resendAfterMs: opts.resendAfterMs ?? 180_000,
      recheckMs: opts.recheckMs ?? 60_000,
      beforeBroadcast: opts.beforeBroadcast,
      timer: opts.timer ?? globalTimer,
    };
  }

  stats(): SenderStats {
    return { ...this.#stats };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops after the current round (a stored-but-unsent commit is picked up on the next start). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#interrupt?.();
    await this.#loop;
  }

  /**
   * Start the next round now (a batch was just closed). Not while backing off after a failed
   * round: during an outage batches keep closing, and each would otherwise be a retry.
   */
  wake(): void {
    this.#woken = true;
    if (this.#wakeable) this.#interrupt?.();
  }

  /** Waits `ms`; a backoff (`wakeable` false) is cut short only by stop(). */
  async #sleep(ms: number, wakeable: boolean): Promise<void> {
    if (!this.#running || (wakeable && this.#woken)) return;
    const timer = this.#o.timer;
    await new Promise<void>((resolve) => {
      const handle = timer.setTimeout(done, ms);
      function done() {
        timer.clearTimeout(handle);
        resolve();
      }
      this.#interrupt = done;
      this.#wakeable = wakeable;
    });
    this.#interrupt = undefined;
    this.#wakeable = false;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#woken = false;
      let delay = this.#o.pollMs;
      let wakeable = true;
      try {
        const round = await this.round();
        this.#stats.failing = 0;
        this.#stats.lastError = null;
        if (round === 'progress') continue;
      } catch (err) {
        const e = isWaymarkError(err) ? err : new WaymarkError('WAYMARK_ERR_INTERNAL', (err as Error)?.message ?? String(err), { cause: err });
        this.#stats.failing++;
        this.#stats.commitFailures++;
        this.#stats.lastError = `${e.code}: ${e.message}`;
        delay = backoffMs(this.#stats.failing, this.#o.backoffMinMs, this.#o.backoffMaxMs);
        wakeable = false;
        this.#log.warn({ code: e.code, err: e.message, retryInMs: delay }, 'batch commit round failed');
        this.emit('failed', e);
      }
      await this.#sleep(delay, wakeable);
    }
  }

  /**
   * One round over the unconfirmed batches in seq order: follow the sent ones, send the
   * first pending one. Returns 'progress' when something changed (run again at once).
   */
  async round(): Promise<Round> {
    const rows = this.store.unconfirmed();
    if (rows.length === 0) return this.#recheck();
    const latest = await this.chain.blockNumber();
    for (const row of rows) {
      if (row.state === 'sent') {
        const r = await this.#follow(row, latest);
        if (r === 'mined') continue;
        return r;
      }
      try {
        return await this.#send(row);
      } catch (err) {
        if (isWaymarkError(err)) this.store.setError(row.seq, `${err.code}: ${err.message}`);
        throw err;
      }
    }
    return 'waiting';
  }

  /** A sent batch: 'mined' lets later batches go; 'progress'/'waiting' stop the round. */
  async #follow(row: BatchRow, latest: number): Promise<'mined' | Round> {
    const txs = this.store.txs(row.seq);
    let receipt: CommitReceipt | null = null;
    for (const tx of [...txs].reverse()) {
      receipt = await this.chain.receipt(tx.txHash);
      if (receipt) break;
    }
    if (receipt && receipt.status !== 1) {
      // Reverted in a block: did the batch land through another transaction?
      if (await this.#landedElsewhere(row)) return 'progress';
      this.store.markPending(row.seq, `WAYMARK_ERR_CHAIN_REVERTED: commit ${receipt.txHash} reverted in block ${receipt.blockNumber}`);
      this.#stats.commitFailures++;
      return 'progress';
    }
    if (receipt) return this.#mined(row, receipt, latest);

    if (row.blockNumber !== null) {
      this.#stats.reorgs++;
      this.#log.warn({ seq: row.seq, txHash: row.txHash, block: row.blockNumber }, 'commit receipt disappeared (reorg); re-committing');
      this.store.markUnmined(row.seq);
    }
    if (await this.#landedElsewhere(row)) return 'progress';
    const last = txs.at(-1);
    if (!last) {
      this.store.markPending(row.seq);
      return 'progress';
    }
    const mined = await this.chain.accountNonce('latest');
    if (last.nonce > mined) {
      const repaired = await this.#repairNonceGap(row, last, mined);
      if (repaired) return repaired;
    }
    if (await this.chain.knows(last.txHash)) {
      if (this.#o.wallNow() - last.sentAt < this.#o.resendAfterMs) return 'waiting';
      return (await this.#reprice(row, last, await this.chain.feeQuote())) ? 'progress' : 'waiting';
    }
    // The node does not know it: never broadcast (a crash, an outage), dropped (a node
    // restart, evicted under a risen base fee), refused, or reorged out.
    if (last.nonce >= mined) {
      const result = await this.chain.broadcast(last.raw);
      this.#stats.rebroadcasts++;
      this.#log.info({ seq: row.seq, txHash: last.txHash, result }, 'commit rebroadcast');
      if (result === 'accepted' || result === 'known') return 'waiting';
      if (result === 'underpriced') {
        // Under the next block's base fee (at most 12.5 % over the last one's): re-price at once.
        // Refused as a replacement (the pool holds a commit of this nonce that pays as much):
        // as for a stuck one, after resendAfterMs.
        const quote = await this.chain.feeQuote();
        const underBaseFee = last.maxFeePerGas * 8n < quote.baseFeePerGas * 9n;
        if (!underBaseFee && this.#o.wallNow() - last.sentAt < this.#o.resendAfterMs) return 'waiting';
        await this.#reprice(row, last, quote);
        return 'waiting';
      }
    }
    // Its nonce went to another transaction and the batch is not on chain: sign again.
    this.#log.warn({ seq: row.seq, nonce: last.nonce }, 'commit nonce used by another transaction; re-signing');
    this.store.markPending(row.seq);
    return 'progress';
  }

  /**
   * The commit's nonce is above the account's mined nonce, so the nonces in between go first.
   * When nothing of the account's is ready at the mined nonce (pending nonce = mined nonce),
   * the transactions that held them are gone (a reorg deeper than the confirmations took our
   * confirmed commits or the beacon key's publication; a node lost its pool) and the commit
   * would wait behind the gap forever: a rebroadcast only queues it. Repaired in seq order:
   * confirmed batches the chain no longer holds go back to pending and are committed first, at
   * the missing nonces. When the gap held nothing of the outbox's, a commit the node does not
   * hold is signed again at the missing nonce; one queued in its pool keeps its nonce and the
   * nonces below it get no-op transactions (signed again lower, the queued one would still be
   * mined after it, and revert). Undefined when there is no gap.
   */
  async #repairNonceGap(row: BatchRow, last: BatchTx, mined: number): Promise<Round | undefined> {
    if ((await this.chain.accountNonce('pending')) > mined) return undefined;
    this.#stats.nonceGaps++;
    const gap = { seq: row.seq, nonce: last.nonce, minedNonce: mined };
    const onChainNext = await this.chain.nextSeq();
    if (onChainNext < row.seq) {
      this.#log.warn(gap, 'commit waits behind nonces missing on chain; re-committing the batches they held');
      return this.#recommitBelow(onChainNext, row.seq);
    }
    if (!(await this.chain.knows(last.txHash))) {
      this.#log.warn(gap, 'commit waits behind nonces missing on chain; re-signing it at the missing nonce');
      this.store.markPending(row.seq);
      return 'progress';
    }
    const fees = capFees(await this.chain.feeQuote(), gweiToWei(this.#o.maxFeeGwei));
    this.#log.warn(gap, 'commit queued behind nonces missing on chain; filling them with no-op transactions');
    for (let nonce = mined; nonce < last.nonce; nonce++) {
      const filled = await this.chain.fillNonce(nonce, fees);
      this.#log.info({ seq: row.seq, nonce, ...filled }, 'nonce filled');
    }
    return 'waiting';
  }

  async #mined(row: BatchRow, receipt: CommitReceipt, latest: number): Promise<'mined' | Round> {
    if (row.blockNumber !== receipt.blockNumber || row.txHash !== receipt.txHash) {
      this.store.markMined(row.seq, receipt.txHash, receipt.blockNumber);
    }
    const depth = latest - receipt.blockNumber + 1;
    if (depth >= this.#o.confirmations) {
      this.store.markConfirmed(row.seq, receipt.txHash, receipt.blockNumber, this.#o.now());
      const confirmed = this.store.get(row.seq)!;
      this.#log.info({ seq: row.seq, txHash: receipt.txHash, block: receipt.blockNumber }, 'batch confirmed');
      this.emit('confirmed', confirmed);
      return 'mined';
    }
    return 'mined';
  }

  /** The chain holds this batch's root under its seq: adopt the transaction that put it there. */
  async #landedElsewhere(row: BatchRow): Promise<boolean> {
    const root = await this.chain.batchRoot(row.seq);
    if (root !== row.root.toLowerCase()) return false;
    const found = await this.chain.findCommit(this.#o.venueId, row.seq);
    if (found) this.store.markMined(row.seq, found.txHash, found.blockNumber);
    else this.store.markConfirmed(row.seq, null, null, this.#o.now());
    return true;
  }

  async #send(row: BatchRow): Promise<Round> {
    const onChainNext = await this.chain.nextSeq();
    if (onChainNext > row.seq) {
      if (await this.#landedElsewhere(row)) return 'progress';
      throw new WaymarkError('WAYMARK_ERR_CHAIN_SEQ_REPLAY', `seq ${row.seq} is already committed on chain with another root; the local outbox and the chain disagree`, {
        details: { seq: row.seq, nextSeq: onChainNext, localRoot: row.root, chainRoot: await this.chain.batchRoot(row.seq) },
      });
    }
    if (onChainNext < row.seq) return this.#recommitBelow(onChainNext, row.seq);
    const fees = capFees(await this.chain.feeQuote(), gweiToWei(this.#o.maxFeeGwei));
    const nonce = await this.chain.accountNonce('pending');
    const signed = await this.chain.signCommit(this.#commitOf(row), nonce, fees);
    return this.#store_and_broadcast(row, { ...signed, seq: row.seq, ...fees, sentAt: this.#o.wallNow() });
  }

  /**
   * Earlier batches we counted as done are not on chain (a reorg deeper than the confirmations):
   * back to pending, to be committed again in order before `seq`.
   */
  #recommitBelow(onChainNext: number, seq: number): Round {
    if (this.#recommitLost(onChainNext, seq) === 0) {
      throw new WaymarkError('WAYMARK_ERR_CHAIN_SEQ_GAP', `the chain expects seq ${onChainNext} but the outbox has nothing below ${seq}`, { details: { seq, nextSeq: onChainNext } });
    }
    return 'progress';
  }

  /** Batches in [onChainNext, belowSeq) back to pending, to be committed again in order; returns how many. */
  #recommitLost(onChainNext: number, belowSeq: number): number {
    const lost = this.store.list({ limit: belowSeq - onChainNext, beforeSeq: belowSeq }).filter((b) => b.seq >= onChainNext);
    for (const b of lost) {
      this.#stats.reorgs++;
      this.store.markPending(b.seq, `re-committing: the chain's next seq is ${onChainNext}`);
    }
    if (lost.length > 0) this.#log.warn({ from: onChainNext, to: belowSeq - 1, batches: lost.length }, 'confirmed batches missing on chain; re-committing');
    return lost.length;
  }

  /**
   * Idle: every `recheckMs`, the chain's nextSeq against the outbox's highest seq, so commits a
   * reorg deeper than the confirmations took away go again without waiting for a next batch.
   * A failed read is not a failed round (nothing is waiting); it is tried again next time.
   */
  async #recheck(): Promise<Round> {
    const now = this.#o.wallNow();
    const top = this.store.nextSeq() - 1;
    if (top < 0 || now - this.#lastRecheck < this.#o.recheckMs) return 'idle';
    this.#lastRecheck = now;
    let onChainNext: number;
    try {
      onChainNext = await this.chain.nextSeq();
    } catch (err) {
      this.#log.debug({ err: (err as Error).message }, 'idle recheck of nextSeq failed');
      return 'idle';
    }
    if (onChainNext > top) return 'idle';
    return this.#recommitLost(onChainNext, top + 1) > 0 ? 'progress' : 'idle';
  }

  /**
   * Replaces the stuck or refused commit `last` with the same transaction (nonce, call, gas
   * limit) at fees bumped by 12.5 % and at least the quote's; false when the cap leaves no room.
   * Every version stays stored: whichever of them is mined counts.
   */
  async #reprice(row: BatchRow, last: BatchTx, quote: FeeQuote): Promise<boolean> {
    const fees = bumpFees(last, quote, gweiToWei(this.#o.maxFeeGwei));
    if (!fees) {
      this.store.setError(row.seq, 'WAYMARK_ERR_CHAIN_GAS_CAP: the stuck commit cannot be re-priced under chain.maxFeeGwei');
      return false;
    }
    const signed = await this.chain.repriceCommit(last.raw, fees);
    this.#stats.repriced++;
    this.#log.info({ seq: row.seq, nonce: signed.nonce, replaces: last.txHash, maxFeePerGas: fees.maxFeePerGas.toString() }, 'stuck commit re-priced');
    await this.#store_and_broadcast(row, { ...signed, seq: row.seq, ...fees, sentAt: this.#o.wallNow() });
    return true;
  }

  async #store_and_broadcast(row: BatchRow, tx: BatchTx): Promise<Round> {
    this.store.recordSent(tx);
    this.#stats.commitsSent++;
    await this.#o.beforeBroadcast?.(tx);
    const result = await this.chain.broadcast(tx.raw);
    this.#log.info({ seq: row.seq, txHash: tx.txHash, nonce: tx.nonce, result }, 'batch commit sent');
    return 'progress';
  }

  #commitOf(row: BatchRow) {
    return { venueId: this.#o.venueId, seq: row.seq, merkleRoot: row.root, count: row.count, fromTime: row.fromTime, toTime: row.toTime };
  }
}
