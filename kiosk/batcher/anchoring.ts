/**
 * Anchoring wired into a running kiosk: on every housekeeping tick the batcher closes due
 * batches from the kiosk's record sources and wakes the sender. Gives the HTTP routes,
 * metrics and status their read side. (Retention of leaves is the kiosk's sweep: it runs
 * whether anchoring is on or not.)
 */
import { redactUrl } from '../../core/redact.js';
import type { Logger } from '../../core/log.js';
import type { Kiosk } from '../kiosk.js';
import { BatchStore, type BatchCounts } from './batch-store.js';
import { Batcher } from './batcher.js';
import { BatchSender, type BatchSenderOptions, type SenderStats } from './sender.js';
import type { OutboxChain } from './outbox-chain.js';
import type { RecordSource } from './records.js';
import { sessionRecordSource } from './session-source.js';

export interface AnchoringOptions {
  kiosk: Kiosk;
  chain: OutboxChain;
  venueId: number;
  /** Sources besides the kiosk's sessions (check-in attestations). */
  extraSources?: RecordSource[];
  /** Sender tuning (poll interval, backoff, test seams). */
  sender?: Partial<Omit<BatchSenderOptions, 'store' | 'chain' | 'venueId'>>;
}

export interface AnchoringStatus {
  rpcUrl: string;
  registry: string;
  kiosk: string;
  venueId: number;
  confirmations: number;
  batches: BatchCounts;
  waitingRecords: number;
  /** Batches are not closed while the kiosk clock is not synchronized. */
  heldForClock: boolean;
  sender: SenderStats;
}

export class Anchoring {
  readonly store: BatchStore;
  readonly batcher: Batcher;
  readonly sender: BatchSender;
  readonly chain: OutboxChain;
  readonly venueId: number;
  readonly #kiosk: Kiosk;
  readonly #log: Logger;
  readonly #onTick = (now: number) => this.tick(now);
  #heldForClock = false;
  #final: AnchoringStatus | undefined;

  constructor(opts: AnchoringOptions) {
    const { kiosk } = opts;
    this.#kiosk = kiosk;
    this.#log = kiosk.log;
    this.chain = opts.chain;
    this.venueId = opts.venueId;
    this.store = new BatchStore(kiosk.database);
    this.batcher = new Batcher({
      store: this.store,
      sources: [sessionRecordSource(kiosk.store), ...(opts.extraSources ?? [])],
      maxRecords: kiosk.config.batch.maxRecords,
      maxAgeS: kiosk.config.batch.maxAgeS,
      logger: kiosk.log,
    });
    this.sender = new BatchSender({
      store: this.store,
      chain: opts.chain,
      venueId: opts.venueId,
      confirmations: kiosk.config.chain.confirmations,
      maxFeeGwei: kiosk.config.chain.maxFeeGwei,
      logger: kiosk.log,
      now: () => kiosk.clock.now(),
      ...opts.sender,
    });
  }

  /** Reads the kiosk's next seq on chain (if the node answers), then follows the kiosk's ticks. */
  async start(): Promise<void> {
    try {
      this.batcher.firstSeq = await this.chain.nextSeq();
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'chain not reachable at start; numbering batches from the local outbox');
    }
    this.#kiosk.on('tick', this.#onTick);
    this.sender.start();
    this.#log.info({ rpcUrl: redactUrl(this.chain.rpcUrl), registry: this.chain.registry, kiosk: this.chain.kiosk, venueId: this.venueId }, 'anchoring on');
  }

  /**
   * Close due batches at `now` (kiosk ms) and wake the sender, which sends a new batch at once
   * unless it is backing off after failed rounds (then the batch waits for the next retry).
   */
  tick(now: number): number {
    try {
      // a batch's from/to times are a claim on chain: none is closed on an unsynced clock
      const sync = this.#kiosk.clock.syncStatus();
      if (!sync.synced) {
        if (!this.#heldForClock) this.#log.warn({ clock: sync }, 'clock not synchronized: batches held until it is');
        this.#heldForClock = true;
        return 0;
      }
      if (this.#heldForClock) this.#log.info('clock synchronized: batching again');
      this.#heldForClock = false;
      const made = this.batcher.tick(now);
      if (made.length > 0) this.sender.wake();
      return made.length;
    } catch (err) {
      this.#log.error({ err }, 'batcher failed; will retry');
      return 0;
    }
  }

  status(): AnchoringStatus {
    if (this.#final) return this.#final;
    return {
      // the node's origin only: providers put API keys in the path and query
      rpcUrl: redactUrl(this.chain.rpcUrl),
      registry: this.chain.registry,
      kiosk: this.chain.kiosk,
      venueId: this.venueId,
      confirmations: this.#kiosk.config.chain.confirmations,
      batches: this.store.counts(),
      waitingRecords: this.batcher.due(this.#kiosk.clock.now()).waiting,
      heldForClock: this.#heldForClock,
      sender: this.sender.stats(),
    };
  }

  /** Stops batching and sending (before the kiosk closes its database); status() keeps the last figures. */
  async stop(): Promise<void> {
    if (this.#final) return;
    this.#kiosk.off('tick', this.#onTick);
    await this.sender.stop();
    this.#final = this.status();
    await this.chain.close();
  }
}
