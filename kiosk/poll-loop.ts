/**
 * The one polling loop of the kiosk's chain followers (venue status, capacity, community
 * reports): `poll` now and then every `pollMs` of wall time until stopped; `run()` polls at
 * once, joining a poll already under way, so a poll never overlaps another. The timer does
 * not keep the process alive.
 */
import { isWaymarkError } from '../core/errors.js';
import { scrubText } from '../core/redact.js';

export class PollLoop {
  readonly pollMs: number;
  readonly #poll: () => Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(poll: () => Promise<void>, pollMs: number) {
    if (!(pollMs >= 100)) throw new RangeError(`pollMs must be at least 100, got ${pollMs}`);
    this.#poll = poll;
    this.pollMs = pollMs;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  start(): void {
    this.#schedule(0);
  }

  /** Polls now, or waits for the poll under way. */
  run(): Promise<void> {
    this.#running ??= this.#poll().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Stops the timer and waits for a poll under way; false if it was stopped already. */
  async stop(): Promise<boolean> {
    if (this.#stopped) return false;
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    return true;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.run().finally(() => this.#schedule(this.pollMs));
    }, ms);
    this.#timer.unref();
  }
}

/** An error as one line for status and logs: its Waymark code first, secrets scrubbed. */
export function errorText(err: unknown, secrets: readonly string[] = []): string {
  return scrubText(isWaymarkError(err) ? `${err.code}: ${err.message}` : (err as Error)?.message ?? String(err), secrets);
}
