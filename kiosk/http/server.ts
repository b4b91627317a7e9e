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
import { clientErrorHandler, errorHandler, frameworkErrorHandler, rejectNonFiniteNumbers } from './errors.js';
import { OPERATOR, operatorGuard } from './surfaces.js';
import { kioskPage } from './page.js';
import { walletCors, walletRoutes, type WalletHttpOptions } from './wallet-routes.js';

export interface HttpOptions {
  logger?: Logger;
  /** Extra status sections other parts add (chain, check-in, ...). */
  statusExtras?: () => Record<string, unknown>;
  metrics?: MetricSource[];
  bodyLimit?: number;
  /** Route plugins other parts add (check-in, proofs, ...), registered after the core routes. */
  plugins?: FastifyPluginAsync[];
  /** Operator token for operator routes from other machines; without it they answer on loopback only. */
  operatorToken?: string;
  /** The visitor wallet: its bundle at /wallet/ and the origins that may call the check-in routes (docs/WALLET.md). */
  wallet?: WalletHttpOptions;
}

/** Limits every kiosk HTTP server applies (docs/OPERATIONS.md, "Security"). */
export const HTTP_LIMITS = {
  /** Request line plus headers, bytes (Node's parser answers 431 above it). */
  maxHeaderBytes: 8 * 1024,
  /** A path parameter, characters (414 above it). */
  maxParamLength: 200,
  /** Default body limit, bytes; the check-in route allows 1 KiB. */
  bodyBytes: 16 * 1024,
  /** The headers must arrive within this, ms. */
  headersTimeoutMs: 10_000,
  /** The whole request must arrive within this, ms. */
  requestTimeoutMs: 15_000,
  /** An idle keep-alive connection is closed after this, ms. */
  keepAliveTimeoutMs: 5_000,
  /** Any socket idle this long is closed, ms. */
  connectionTimeoutMs: 30_000,
} as const;

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
    bodyLimit: opts.bodyLimit ?? HTTP_LIMITS.bodyBytes,
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: true } },
    routerOptions: { maxParamLength: HTTP_LIMITS.maxParamLength },
    connectionTimeout: HTTP_LIMITS.connectionTimeoutMs,
    keepAliveTimeout: HTTP_LIMITS.keepAliveTimeoutMs,
    requestTimeout: HTTP_LIMITS.requestTimeoutMs,
    // a request without Host is answered by the routes (nothing uses Host), not with Node's empty 400
    http: { maxHeaderSize: HTTP_LIMITS.maxHeaderBytes, headersTimeout: HTTP_LIMITS.headersTimeoutMs, requireHostHeader: false },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  });
  const registry = createKioskMetrics(kiosk, opts.metrics);
  app.setErrorHandler(errorHandler);
  app.addHook('onRequest', operatorGuard(opts.operatorToken));
  app.addHook('preValidation', rejectNonFiniteNumbers);
  app.setNotFoundHandler((req, reply) => {
    const err = new WaymarkError('WAYMARK_ERR_NOT_FOUND', `${req.method} ${req.url}`);
    void reply.status(err.statusCode).send(err.toJSON());
  });

  app.get('/healthz', async (_req, reply) => {
    const s = kiosk.status();
    const ok = s.store.ok && s.radio.state === 'poweredOn';
    return reply.status(ok ? 200 : 503).send({ ok, radio: s.radio.state, store: s.store.ok ? 'ok' : s.store.lastError });
  });

  app.get('/v1/status', { config: OPERATOR }, async () => ({ ...kiosk.status(), ...(opts.statusExtras?.() ?? {}) }));

  app.get<{ Querystring: { since?: number; until?: number } }>('/v1/occupancy', { schema: { querystring: occupancyQuery }, config: OPERATOR }, async (req) => {
    const now = kiosk.clock.now();
    const until = req.query.until ?? now;
    const since = req.query.since ?? until - 86_400_000;
    if (since > until) throw new WaymarkError('WAYMARK_ERR_BAD_REQUEST', 'since must not be after until', { details: { since, until } });
    return { venue: kiosk.config.venue, time: new Date(now).toISOString(), since, until, ...kiosk.occupancy(since, until) };
  });

  app.get('/metrics', { config: OPERATOR }, async (_req, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(kioskPage({ venueName: kiosk.config.venue.name })));

  if (opts.wallet) {
    app.addHook('onRequest', walletCors(opts.wallet.origins));
    await app.register(walletRoutes, opts.wallet);
  }
  for (const plugin of opts.plugins ?? []) await app.register(plugin);

  return app;
}
