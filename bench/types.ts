/**
 * A benchmark group: `npm run bench -- [group ...] [--json]` runs every group or the
 * named ones; each returns figures printed as one JSON object per line with --json.
 */
export interface BenchFigure {
  /** `group.name`, e.g. `sightings.pipeline`. */
  bench: string;
  value: number;
  unit: string;
  /** The goal, where the issue sets one, and its direction. */
  goal?: number;
  better?: 'higher' | 'lower';
  [extra: string]: unknown;
}

export interface BenchGroup {
  name: string;
  run(opts: { quick: boolean; log: (line: string) => void }): Promise<BenchFigure[]>;
}
