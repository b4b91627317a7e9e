/**
 * Maps every error an HTTP route can raise to a Waymark error code and status, so a
 * client never sees a bare 500 for bad input.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { WaymarkError, isWaymarkError } from '../../core/errors.js';

export function toWaymarkError(err: FastifyError | Error): WaymarkError {
  if (isWaymarkError(err)) return err;
  const fe = err as FastifyError;
  if (fe.validation) {
    return new WaymarkError('WAYMARK_ERR_BAD_REQUEST', fe.message, {
      details: { fields: fe.validation.map((v) => ({ field: v.instancePath || (v.params as any)?.missingProperty || '', message: v.message })) },
    });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new WaymarkError('WAYMARK_ERR_PAYLOAD_TOO_LARGE', fe.message);
    case 'FST_ERR_RATE_LIMIT_EXCEEDED':
      return new WaymarkError('WAYMARK_ERR_RATE_LIMITED', fe.message);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // JSON syntax errors, unsupported media types, empty bodies, bad content length
    if (fe.statusCode === 404) return new WaymarkError('WAYMARK_ERR_NOT_FOUND', fe.message);
    if (fe.statusCode === 413) return new WaymarkError('WAYMARK_ERR_PAYLOAD_TOO_LARGE', fe.message);
    if (fe.statusCode === 429) return new WaymarkError('WAYMARK_ERR_RATE_LIMITED', fe.message);
    return new WaymarkError('WAYMARK_ERR_BAD_REQUEST', fe.message, { details: fe.code ? { cause: fe.code } : undefined });
  }
  return new WaymarkError('WAYMARK_ERR_INTERNAL', 'see the kiosk log', { cause: err });
}

export function errorHandler(this: unknown, err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const we = toWaymarkError(err);
  if (we.code === 'WAYMARK_ERR_INTERNAL') req.log.error({ err }, 'request failed');
  else req.log.info({ code: we.code, message: we.message }, 'request refused');
  void reply.status(we.statusCode).send(we.toJSON());
}
