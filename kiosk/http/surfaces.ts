/**
 * The kiosk's two HTTP surfaces. Public routes (check-in, token, phone page, screen,
 * proofs, health) answer anyone on the venue network; operator routes (status, metrics,
 * batches, occupancy: whatever reveals configuration or activity) answer on loopback, or
 * elsewhere only with the operator token set at provisioning.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { WaymarkError } from '../../core/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** 'operator': loopback or the operator token only. */
    surface?: 'operator';
  }
}

/** Route config marking an operator route: `{ config: OPERATOR }`. */
export const OPERATOR = { surface: 'operator' } as const;

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The onRequest check for operator routes; `token` undefined = loopback only. */
export function operatorGuard(token: string | undefined) {
  const expected = token === undefined ? undefined : digest(token);
  return async (req: FastifyRequest): Promise<void> => {
    if (req.routeOptions.config?.surface !== 'operator') return;
    if (isLoopback(req.socket.remoteAddress)) return;
    const auth = req.headers.authorization;
    const given = typeof auth === 'string' && /^Bearer [\x21-\x7e]{1,512}$/.test(auth) ? auth.slice(7) : undefined;
    if (expected && given !== undefined && timingSafeEqual(digest(given), expected)) return;
    throw new WaymarkError('WAYMARK_ERR_OPERATOR_ONLY', expected
      ? `${req.method} ${req.routeOptions.url} needs Authorization: Bearer <operator token>`
      : `${req.method} ${req.routeOptions.url} answers on the kiosk itself (no operator token is configured)`);
  };
}
