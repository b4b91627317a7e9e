/**
 * Maps every error an HTTP route can raise to a Waymark error code and status, so a
 * client never sees a bare 500 for bad input.
 */
import type { Socket } from 'node:net';
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
    case 'FST_ERR_BAD_URL':
      return new WaymarkError('WAYMARK_ERR_BAD_REQUEST', 'the URL is not valid percent-encoding', { details: { cause: fe.code } });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new WaymarkError('WAYMARK_ERR_URI_TOO_LONG', 'a path parameter is over 200 characters');
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

/** fastify's router errors (bad percent-encoding, an over-long parameter) as Waymark errors. */
export function frameworkErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  errorHandler.call(undefined, err, req, reply);
}

/**
 * Errors Node's HTTP parser raises before a request exists (bad Content-Length, both
 * Content-Length and Transfer-Encoding, NUL in the path, oversized headers, a slow client):
 * answered with the same JSON error body, then the connection is closed.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const we = err.code === 'HPE_HEADER_OVERFLOW'
    ? new WaymarkError('WAYMARK_ERR_HEADERS_TOO_LARGE', 'request line and headers are over 8 KiB')
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT'
      ? new WaymarkError('WAYMARK_ERR_REQUEST_TIMEOUT', 'the request did not arrive in time')
      : new WaymarkError('WAYMARK_ERR_BAD_REQUEST', `malformed HTTP request (${typeof err.code === 'string' && /^[A-Z_]+$/.test(err.code) ? err.code : 'parse error'})`);
  const body = JSON.stringify(we.toJSON());
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${we.statusCode} ${STATUS_TEXT[we.statusCode] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroySoon?.();
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

const NON_FINITE = /^\s*[+-]?(infinity|nan)\s*$/i;
const NUMERIC = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;

/**
 * Query and path values that would coerce to a non-finite number (`Infinity`, `NaN`,
 * `1e400`) are refused before validation: the schema's integer coercion lets them through.
 */
export async function rejectNonFiniteNumbers(req: FastifyRequest): Promise<void> {
  for (const [where, values] of [['query', req.query], ['params', req.params]] as const) {
    if (!values || typeof values !== 'object') continue;
    for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
      for (const v of Array.isArray(value) ? value : [value]) {
        if (typeof v !== 'string') continue;
        if (NON_FINITE.test(v) || (NUMERIC.test(v) && !Number.isFinite(Number(v)))) {
          throw new WaymarkError('WAYMARK_ERR_BAD_REQUEST', `${where} ${name} must be a finite number, got '${v.slice(0, 40)}'`, { details: { field: name } });
        }
      }
    }
  }
}
