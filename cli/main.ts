/**
 * The `waymark` entry point: finds the command named by the leading words, parses its
 * flags strictly, prints help, and turns errors into named codes and exit codes
 * (0 ok, 1 failed, 2 bad usage or input). As a program (main) it owns the process:
 * SIGINT/SIGTERM and a closed stdout stop the running command cleanly.
 */
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import { isWaymarkError, WaymarkError } from '../core/errors.js';
import type { CliCommand, CliIO } from './command.js';
import { allCommands } from './commands/index.js';

export async function runCli(argv: string[], io: CliIO, commands: CliCommand[] = allCommands): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  // longest command name that prefixes the leading words
  const match = commands
    .filter((c) => {
      const parts = c.name.split(' ');
      return parts.every((p, i) => argv[i] === p);
    })
    .sort((a, b) => b.name.length - a.name.length)[0];

  if (!match) {
    if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
      io.stdout(globalHelp(commands, argv[1]));
      return 0;
    }
    if (argv[0] === '--version' || argv[0] === 'version') {
      io.stdout(`waymark ${await packageVersion()}\n`);
      return 0;
    }
    const group = commands.filter((c) => c.name.split(' ')[0] === words[0]);
    if (group.length > 0) {
      io.stderr(`waymark: '${words.slice(0, 2).join(' ')}' is not a command. Commands of '${words[0]}':\n` + listCommands(group));
    } else {
      io.stderr(`waymark: unknown command '${words[0] ?? argv[0]}' (WAYMARK_ERR_USAGE). Run 'waymark help'.\n`);
    }
    return 2;
  }

  const rest = argv.slice(match.name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(commandHelp(match));
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: match.options, allowPositionals: (match.positionals?.length ?? 0) > 0, strict: true });
    const max = match.positionals?.length ?? 0;
    if (parsed.positionals.length > max) throw new Error(`unexpected argument '${parsed.positionals[max]}'`);
  } catch (err) {
    const e = new WaymarkError('WAYMARK_ERR_USAGE', (err as Error).message);
    io.stderr(`waymark ${match.name}: ${e.message} (${e.code})\n\n${commandHelp(match)}`);
    return 2;
  }
  const json = parsed.values.json === true;
  try {
    return await match.run(parsed as any, io);
  } catch (err) {
    // stopped on request (signal, closed stdout) before it finished: nothing to report
    if (io.signal.aborted && err === io.signal.reason) return 0;
    if (isWaymarkError(err)) {
      if (json) io.stdout(JSON.stringify(err.toJSON()) + '\n');
      io.stderr(`waymark ${match.name}: ${err.message} (${err.code})\n`);
      return err.statusCode >= 400 && err.statusCode < 500 ? 2 : 1;
    }
    io.stderr(`waymark ${match.name}: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}

function listCommands(commands: CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return commands.map((c) => `  waymark ${c.name.padEnd(width)}  ${c.summary}`).join('\n') + '\n';
}

function globalHelp(commands: CliCommand[], topic?: string): string {
  if (topic) {
    const group = commands.filter((c) => c.name === topic || c.name.startsWith(topic + ' '));
    if (group.length === 1) return commandHelp(group[0]!);
    if (group.length > 1) return listCommands(group);
  }
  return `Waymark: venue kiosk software (signed BLE beacons, privacy-preserving presence, check-in attestations).

Usage: waymark <command> [flags]     waymark <command> --help for its flags

Commands:
${listCommands(commands)}
Exit codes: 0 ok, 1 failed check or operation, 2 bad usage or input.
`;
}

export function commandHelp(c: CliCommand): string {
  const lines = [`Usage: waymark ${c.name}${c.positionals?.length ? ' ' + c.positionals.map((p) => p.toUpperCase()).join(' ') : ''} [flags]`, '', c.summary, ''];
  const opts = Object.entries(c.options);
  if (opts.length) {
    lines.push('Flags:');
    for (const [name, o] of opts) {
      const desc = (o as { description?: string }).description ?? '';
      const flag = `--${name}${o.type === 'string' ? ' VALUE' : ''}${o.short ? `, -${o.short}` : ''}`;
      lines.push(`  ${flag.padEnd(26)} ${desc}${o.default !== undefined ? ` (default ${String(o.default)})` : ''}`);
    }
    lines.push('');
  }
  if (c.usage) lines.push(c.usage.trimEnd(), '');
  return lines.join('\n');
}

async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** How long a command may take to stop after its stdout was closed before the process just exits. */
const CLOSED_STDOUT_GRACE_MS = 5_000;
/** A repeated signal closer than this to the first is the same Ctrl-C delivered twice (see stopSignals). */
const SAME_CTRL_C_MS = 1_000;

/** Run as a program: wire process I/O and signals. */
export async function main(): Promise<void> {
  const controller = new AbortController();
  const stderr = processWriter(process.stderr, () => {});
  const stdout = processWriter(process.stdout, () => {
    // The reader went away (`waymark … | head`): stop the command as a signal would,
    // then exit quietly even if it does not listen.
    controller.abort(new Error('stdout closed'));
    setTimeout(() => process.exit(0), CLOSED_STDOUT_GRACE_MS).unref();
  });
  stopSignals(controller, stderr);
  const code = await runCli(process.argv.slice(2), { stdout, stderr, signal: controller.signal, env: process.env, cwd: process.cwd() });
  process.exitCode = code;
  // A radio library may leave a timer behind; do not let it keep a finished command alive.
  setTimeout(() => process.exit(code), 1500).unref();
}

/**
 * A writer for process.stdout or stderr. When the reading end of a pipe closes (EPIPE),
 * later output is dropped instead of crashing the process, and `onClosed` runs once.
 */
function processWriter(stream: NodeJS.WriteStream, onClosed: () => void): (text: string) => void {
  let closed = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    if (closed) return;
    closed = true;
    onClosed();
  });
  return (text) => {
    if (!closed) stream.write(text);
  };
}

/**
 * SIGINT and SIGTERM abort the command, which stops cleanly and returns its exit code. A
 * second signal exits at once (128 + signal number), unless it comes within
 * SAME_CTRL_C_MS of the first: one Ctrl-C under `npm start` arrives twice, as the terminal
 * signals the whole process group and npm forwards its own copy to us.
 */
function stopSignals(controller: AbortController, stderr: (text: string) => void): void {
  let first: number | undefined;
  const current = new Map<NodeJS.Signals, (sig: NodeJS.Signals) => void>();
  // noble and bleno add SIGINT listeners (one per opened radio) that call process.exit(1)
  // when they find themselves the last listener; ours moves to the end on every signal,
  // before theirs run, so the CLI decides how the process ends. A fresh function is added
  // before the old one is removed: the signal never goes without a listener.
  const listenLast = (sig: NodeJS.Signals) => {
    const listener = (s: NodeJS.Signals) => onSignal(s);
    process.on(sig, listener);
    const old = current.get(sig);
    if (old) process.off(sig, old);
    current.set(sig, listener);
  };
  const onSignal = (sig: NodeJS.Signals) => {
    listenLast(sig);
    const now = Date.now();
    if (first === undefined) {
      first = now;
      controller.abort(new Error(sig));
    } else if (now - first >= SAME_CTRL_C_MS) {
      stderr(`waymark: ${sig} again, exiting without cleaning up\n`);
      process.exit(128 + constants.signals[sig]);
    }
  };
  listenLast('SIGINT');
  listenLast('SIGTERM');
}
