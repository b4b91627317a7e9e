/**
 * A typed event emitter: the bus between parts. Listeners registered through `on` are
 * wrapped so one failing subscriber cannot stop the emitter's other listeners; the
 * failure is re-emitted as `listenerError`.
 */
import { EventEmitter } from 'node:events';

export type EventMap = Record<string, (...args: any[]) => void>;

export class TypedEmitter<E extends EventMap> {
  readonly #ee = new EventEmitter();
  readonly #wrapped = new Map<Function, Function>();
  #onListenerError: ((err: unknown, event: string) => void) | undefined;

  constructor() {
    this.#ee.setMaxListeners(100);
  }

  /** Where a throwing listener's error goes (default: rethrown asynchronously is avoided; logged to stderr). */
  onListenerError(handler: (err: unknown, event: string) => void): void {
    this.#onListenerError = handler;
  }

  on<K extends keyof E & string>(event: K, listener: E[K]): this {
    const wrapped = (...args: unknown[]) => {
      try {
        (listener as (...a: unknown[]) => void)(...args);
      } catch (err) {
        if (this.#onListenerError) this.#onListenerError(err, event);
        else process.emitWarning(`listener for '${event}' threw: ${(err as Error)?.stack ?? String(err)}`);
      }
    };
    this.#wrapped.set(listener, wrapped);
    this.#ee.on(event, wrapped);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: E[K]): this {
    const self = this;
    const one = function (this: unknown, ...args: unknown[]) {
      self.off(event, one as unknown as E[K]);
      (listener as (...a: unknown[]) => void)(...args);
    };
    return this.on(event, one as unknown as E[K]);
  }

  off<K extends keyof E & string>(event: K, listener: E[K]): this {
    const wrapped = this.#wrapped.get(listener);
    if (wrapped) {
      this.#ee.off(event, wrapped as (...a: unknown[]) => void);
      this.#wrapped.delete(listener);
    }
    return this;
  }

  protected emit<K extends keyof E & string>(event: K, ...args: Parameters<E[K]>): boolean {
    return this.#ee.emit(event, ...args);
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#ee.listenerCount(event);
  }

  removeAllListeners(): void {
    this.#ee.removeAllListeners();
    this.#wrapped.clear();
  }
}
