/**
 * The kiosk's logger: pino (fastify's own), JSON lines. The daemon logs to stdout (journald
 * on the device); CLI commands whose stdout is their result log to stderr.
 */
import { pino, type Logger } from 'pino';
import { ENV } from './paths.js';

export type { Logger };

export function createLogger(opts: { level?: string; destination?: 1 | 2; name?: string } = {}): Logger {
  const level = opts.level ?? process.env[ENV.LOG_LEVEL] ?? 'info';
  return pino({ level, name: opts.name ?? 'waymark', base: undefined }, pino.destination({ fd: opts.destination ?? 1, sync: false }));
}

export const silentLogger: Logger = pino({ level: 'silent' });
