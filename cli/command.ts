/**
 * The shape of a `waymark` CLI command. Commands are data: a name (one or more words),
 * a one-line summary, a usage text, node:util parseArgs options, and a run function
 * that returns the process exit code (0 ok, 1 failed check/operation, 2 bad usage/input).
 */
import type { ParseArgsConfig } from 'node:util';

type ParseArgsOption = NonNullable<ParseArgsConfig['options']>[string];

/** parseArgs options, each with a description for `--help`. */
export type CliOptions = Record<string, ParseArgsOption & { description?: string }>;

/** Flag values as node:util parseArgs returns them; read them with cli/flags.ts. */
export type CliValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Aborted on SIGINT/SIGTERM; long-running commands stop cleanly when it fires. */
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface CliCommand<O extends CliOptions = CliOptions> {
  /** Words after `waymark`, e.g. `beacon encode`. */
  name: string;
  summary: string;
  /** Extra help text shown by `--help` after the generated option list. */
  usage?: string;
  options: O;
  /** Positional arguments allowed (names for help). */
  positionals?: string[];
  run(args: { values: CliValues; positionals: string[] }, io: CliIO): Promise<number>;
}
