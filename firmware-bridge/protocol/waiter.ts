/**
 * Pairs a request with its reply by sequence number: `wait` gives a promise that the reply
 * settles, or that rejects with a readable WAYMARK_ERR_SERIAL_TIMEOUT when none comes in time.
 */
import { WaymarkError } from '../../core/errors.js';

interface Pending<T> {
  label: string;
  timer: NodeJS.Timeout;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

export class ReplyWaiter<T> {
  readonly #pending = new Map<number, Pending<T>>();
  #timeouts = 0;

  /**
   * Wait for the reply to `seq`; `label` names the request in the timeout error, e.g.
   * `SCAN_START`. A second wait on a seq still pending rejects the first (the seq wrapped).
   */
  wait(seq: number, label: string, timeoutMs: number): Promise<T> {
    this.reject(seq, new WaymarkError('WAYMARK_ERR_INTERNAL', `sequence number ${seq} reused while ${label} was waiting`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(seq);
        this.#timeouts++;
        reject(
          new WaymarkError('WAYMARK_ERR_SERIAL_TIMEOUT', `${label} (seq ${seq}) got no reply within ${timeoutMs} ms`, {
            details: { command: label, seq, timeoutMs },
          }),
        );
      }, timeoutMs);
      this.#pending.set(seq, { label, timer, resolve, reject });
    });
  }

  /** Settle the wait for `seq` with a reply; false if nobody waits (late or unsolicited reply). */
  resolve(seq: number, value: T): boolean {
    const p = this.#take(seq);
    if (!p) return false;
    p.resolve(value);
    return true;
  }

  reject(seq: number, err: unknown): boolean {
    const p = this.#take(seq);
    if (!p) return false;
    p.reject(err);
    return true;
  }

  /** Reject every pending wait, e.g. when the port closed. */
  rejectAll(err: unknown): void {
    for (const seq of [...this.#pending.keys()]) this.reject(seq, err);
  }

  /** The label a pending seq was registered with (to check a reply's command id). */
  labelOf(seq: number): string | undefined {
    return this.#pending.get(seq)?.label;
  }

  get size(): number {
    return this.#pending.size;
  }

  get timeouts(): number {
    return this.#timeouts;
  }

  #take(seq: number): Pending<T> | undefined {
    const p = this.#pending.get(seq);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.#pending.delete(seq);
    return p;
  }
}
