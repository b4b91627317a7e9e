/**
 * The check-in HTTP routes, as one fastify plugin: the current QR token (GET
 * /v1/checkin-token), the QR check-in itself (POST /v1/checkins), and the small phone page
 * the QR code opens (GET /checkin). Routes validate (JSON schemas, body limit, per-client
 * rate limits) and call the check-in service; errors go through the app's Waymark handler.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync } from 'fastify';
import QRCode from 'qrcode';
import { WaymarkError } from '../../core/errors.js';
import { checkinUrl, walletCheckinUrl } from '../../beacon/visitor/checkin-token.js';
import type { CheckinService } from '../checkin/service.js';
import { checkinPhonePage } from './checkin-page.js';

export interface CheckinRoutesOptions {
  service: CheckinService;
  /** Venue name for the phone page. */
  venueName: string;
  /** Base URL phones reach the kiosk at (config checkin.publicUrl); none = no QR link. Never taken from the request. */
  publicUrl: () => string | undefined;
  rateLimit: { checkinsPerMinute: number; tokenReadsPerMinute: number };
  /** The venue's median visit length, seconds, offered to wallets with the token (undefined: not known). */
  dwellMedianS?: () => number | undefined;
}

const checkinBody = {
  type: 'object',
  required: ['visitor', 'token'],
  additionalProperties: false,
  properties: {
    visitor: { type: 'string', pattern: '^0x[0-9a-fA-F]{64}$', description: '32-byte visitor commitment, fresh per check-in' },
    token: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$', description: 'check-in token from the QR code' },
  },
} as const;

const tokenQuery = { type: 'object', properties: { token: { type: 'string', maxLength: 200 } }, additionalProperties: false } as const;

/** A check-in body is two short strings; anything bigger is refused before parsing. */
export const CHECKIN_BODY_LIMIT = 1024;

export const checkinRoutes: FastifyPluginAsync<CheckinRoutesOptions> = async (app, opts) => {
  const { service } = opts;
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => new WaymarkError('WAYMARK_ERR_RATE_LIMITED', `at most ${ctx.max} requests per ${ctx.after} from one client`, {
      details: { max: ctx.max, retryAfterS: Math.ceil(ctx.ttl / 1000) },
    }),
  });
  const qrCache = new Map<string, string>();

  app.get('/v1/checkin-token', {
    config: { rateLimit: { max: opts.rateLimit.tokenReadsPerMinute, timeWindow: 60_000 } },
  }, async () => {
    const issued = service.currentToken();
    const base = opts.publicUrl();
    const dwellMedianS = opts.dwellMedianS?.();
    const dwell = dwellMedianS === undefined ? {} : { dwellMedianS };
    if (base === undefined) return { ...issued, url: null, kiosk: service.signer.address, qrSvg: null, ...dwell };
    // with a wallet configured, the QR opens the visitor's wallet with this kiosk and token (docs/WALLET.md)
    const walletUrl = service.settings.walletUrl;
    const url = walletUrl ? walletCheckinUrl(walletUrl, base, issued.token) : checkinUrl(base, issued.token);
    let qrSvg = qrCache.get(url);
    if (!qrSvg) {
      qrSvg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
      qrCache.clear();
      qrCache.set(url, qrSvg);
    }
    return { ...issued, url, kiosk: service.signer.address, qrSvg, ...dwell };
  });

  app.post<{ Body: { visitor: string; token: string } }>('/v1/checkins', {
    bodyLimit: CHECKIN_BODY_LIMIT,
    schema: { body: checkinBody },
    config: { rateLimit: { max: opts.rateLimit.checkinsPerMinute, timeWindow: 60_000 } },
  }, async (req, reply) => {
    const attestation = service.checkinWithToken({ visitor: req.body.visitor, token: req.body.token });
    return reply.status(201).send({ attestation });
  });

  app.get<{ Querystring: { token?: string } }>('/checkin', { schema: { querystring: tokenQuery } }, async (_req, reply) => {
    return reply.type('text/html; charset=utf-8').send(checkinPhonePage({ venueName: opts.venueName }));
  });
};
