/**
 * A progress bar for long provisioning runs, drawn on stderr and only when stderr is a
 * terminal (a log file or a pipe gets nothing, so `--json` output and logs stay clean).
 */

export interface ProgressSink {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export class ProgressBar {
  readonly #sink: ProgressSink | undefined;
  readonly #total: number;
  #done = 0;
  #label = '';

  /** `sink` defaults to process.stderr; a sink that is not a TTY draws nothing. */
  constructor(total: number, sink: ProgressSink = process.stderr) {
    this.#total = Math.max(total, 0);
    this.#sink = sink.isTTY ? sink : undefined;
  }

  get enabled(): boolean {
    return this.#sink !== undefined;
  }

  /** The bar line for `done` of `total` (without the carriage return). */
  static render(done: number, total: number, label: string, width = 80): string {
    const pct = total === 0 ? 1 : Math.min(done / total, 1);
    const counter = ` ${done}/${total} ${String(Math.round(pct * 100)).padStart(3)}% `;
    const barWidth = Math.max(10, Math.min(40, width - counter.length - 4));
    const filled = Math.round(pct * barWidth);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${counter}${label}`;
    return line.length > width - 1 ? line.slice(0, width - 1) : line;
  }

  tick(label = ''): void {
    this.#done++;
    this.#label = label;
    this.#draw();
  }

  update(label: string): void {
    this.#label = label;
    this.#draw();
  }

  /** Clears the bar line so the report that follows starts on a clean line. */
  finish(): void {
    if (this.#sink) this.#sink.write(`\r${' '.repeat((this.#sink.columns ?? 80) - 1)}\r`);
  }

  #draw(): void {
    if (!this.#sink) return;
    this.#sink.write(`\r${ProgressBar.render(this.#done, this.#total, this.#label, this.#sink.columns ?? 80)}\x1b[K`);
  }
}
