/**
 * The kiosk's HTTP face: the screen page at `/`, health, status, occupancy and
 * Prometheus metrics. Routes only validate and call the kiosk; errors are mapped to
 * Waymark codes in one handler.
 */
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { WaymarkError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { Kiosk } from '../kiosk.js';
import { createKioskMetrics, type MetricSource } from '../metrics.js';
import { errorHandler } from './errors.js';
import { kioskPage } from './page.js';

export interface HttpOptions {
  logger?: Logger;
  /** Extra status sections other parts add (chain, check-in, ...). */
  statusExtras?: () => Record<string, unknown>;
  metrics?: MetricSource[];
  bodyLimit?: number;
  /** Route plugins other parts add (check-in, proofs, ...), registered after the core routes. */
  plugins?: FastifyPluginAsync[];
}

const occupancyQuery = {
  type: 'object',
  properties: {
    since: { type: 'integer', minimum: 0, description: 'ms since epoch; default 24 h ago' },
    until: { type: 'integer', minimum: 0, description: 'ms since epoch; default now' },
  },
  additionalProperties: false,
} as const;

export async function buildHttpApp(kiosk: Kiosk, opts: HttpOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger ?? (kiosk.log as any),
    bodyLimit: opts.bodyLimit ?? 16 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: true } },
  });
  const registry = createKioskMetrics(kiosk, opts.metrics);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    const err = new WaymarkError('WAYMARK_ERR_NOT_FOUND', `${req.method} ${req.url}`);
    void reply.status(err.statusCode).send(err.toJSON());
  });

  app.get('/healthz', async (_req, reply) => {
    const s = kiosk.status();
    const ok = s.store.ok && s.radio.state === 'poweredOn';
    return reply.status(ok ? 200 : 503).send({ ok, radio: s.radio.state, store: s.store.ok ? 'ok' : s.store.lastError });
  });

  app.get('/v1/status', async () => ({ ...kiosk.status(), ...(opts.statusExtras?.() ?? {}) }));

  app.get<{ Querystring: { since?: number; until?: number } }>('/v1/occupancy', { schema: { querystring: occupancyQuery } }, async (req) => {
    const now = kiosk.clock.now();
    const until = req.query.until ?? now;
    const since = req.query.since ?? until - 86_400_000;
    if (since > until) throw new WaymarkError('WAYMARK_ERR_BAD_REQUEST', 'since must not be after until', { details: { since, until } });
    return { venue: kiosk.config.venue, time: new Date(now).toISOString(), since, until, ...kiosk.occupancy(since, until) };
  });

  app.get('/metrics', async (_req, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(kioskPage({ venueName: kiosk.config.venue.name })));

  for (const plugin of opts.plugins ?? []) await app.register(plugin);

  return app;
}
