/**
 * HTTP routes of the batch outbox (a fastify plugin): `GET /v1/batches`,
 * `GET /v1/batches/:seq` and `GET /v1/records/:id/proof`. They validate and call the
 * HTTP-agnostic queries in kiosk/batcher/queries.ts.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { BatchState, BatchStore } from '../batcher/batch-store.js';
import { getBatch, listBatches, recordProof } from '../batcher/queries.js';
import { OPERATOR } from './surfaces.js';

const listQuery = {
  type: 'object',
  properties: {
    state: { type: 'string', enum: ['pending', 'sent', 'confirmed'] },
    limit: { type: 'integer', minimum: 1, maximum: 500 },
    before: { type: 'integer', minimum: 0, description: 'only batches with a lower seq (paging backwards)' },
  },
  additionalProperties: false,
} as const;

const seqParams = {
  type: 'object',
  properties: { seq: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
  required: ['seq'],
} as const;

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 3, maxLength: 80, pattern: '^(s-[0-9]+|a-0x[0-9a-fA-F]{64}|0x[0-9a-fA-F]{64})$' } },
  required: ['id'],
} as const;

/** The routes over one outbox (pass `() => store` if the store appears later). */
export function batchRoutes(store: BatchStore | (() => BatchStore)): FastifyPluginAsync {
  const get = typeof store === 'function' ? store : () => store;
  return async (app) => {
    app.get<{ Querystring: { state?: BatchState; limit?: number; before?: number } }>('/v1/batches', { schema: { querystring: listQuery }, config: OPERATOR },
      async (req) => listBatches(get(), req.query));
    app.get<{ Params: { seq: number } }>('/v1/batches/:seq', { schema: { params: seqParams }, config: OPERATOR }, async (req) => getBatch(get(), req.params.seq));
    app.get<{ Params: { id: string } }>('/v1/records/:id/proof', { schema: { params: idParams } }, async (req) => recordProof(get(), req.params.id));
  };
}
