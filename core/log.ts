/**
 * The kiosk's logger: pino (fastify's own), JSON lines. The daemon logs to stdout (journald
 * on the device); CLI commands whose stdout is their result log to stderr.
 */
import { pino, type Logger } from 'pino';
import { ENV } from './paths.js';
import { scrubValue } from './redact.js';

export type { Logger };

/**
 * `secrets`: strings no log line may contain (the RPC URL with its API key); each is replaced
 * by a redacted form wherever it appears, in messages, fields and errors.
 */
export function createLogger(opts: { level?: string; destination?: 1 | 2; name?: string; secrets?: readonly string[] } = {}): Logger {
  const level = opts.level ?? process.env[ENV.LOG_LEVEL] ?? 'info';
  const secrets = (opts.secrets ?? []).filter((s) => s.length >= 4);
  return pino({
    level, name: opts.name ?? 'waymark', base: undefined,
    ...(secrets.length > 0 ? { hooks: { logMethod(args: unknown[], method: (...a: unknown[]) => void) { method.apply(this, args.map((a) => scrubValue(a, secrets))); } } } : {}),
  }, pino.destination({ fd: opts.destination ?? 1, sync: false }));
}

export const silentLogger: Logger = pino({ level: 'silent' });
