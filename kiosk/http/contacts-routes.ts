/**
 * `POST /v1/contacts/match` (a fastify plugin): a region authority's signed request for the
 * windows of a diagnosed visitor's published addresses and the aggregates of who overlapped
 * them. The operator token is not what guards it: only a request signed by a region
 * authority of the venue gets an answer (kiosk/contacts/signed-request.ts), from anywhere.
 * The route validates and calls the HTTP-agnostic matchContacts.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { KioskConfig } from '../../core/config.js';
import type { Clock } from '../../core/clock.js';
import type { Database } from '../store/database.js';
import { matchContacts } from '../contacts/match.js';
import { ContactsRequestVerifier, type SignedContactsRequest } from '../contacts/signed-request.js';
import { chainAuthorityCheck, type VenueAuthorityCheck } from '../contacts/venue-authority.js';
import { registryClient } from '../../contracts/client.js';
import type { ContractRunner } from 'ethers';

/** 14 days x 96 addresses with their ranges is about 60 KB. */
export const CONTACTS_BODY_LIMIT = 256 * 1024;

const body = {
  type: 'object',
  properties: {
    request: { type: 'string', minLength: 2, maxLength: CONTACTS_BODY_LIMIT },
    signature: { type: 'string', pattern: '^0x[0-9a-fA-F]{130}$' },
  },
  required: ['request', 'signature'],
  additionalProperties: false,
} as const;

export interface ContactsRoutesOptions {
  database: Database;
  clock: Pick<Clock, 'now'>;
  geohash: string;
  venueId?: number;
  /** Address kinds that count as other devices (sightings.visitorKinds). */
  kinds: readonly string[];
  isAuthority: VenueAuthorityCheck;
}

export function contactsRoutes(opts: ContactsRoutesOptions): FastifyPluginAsync {
  const verifier = new ContactsRequestVerifier({ geohash: opts.geohash, venueId: opts.venueId, isAuthority: opts.isAuthority, now: () => opts.clock.now() });
  return async (app) => {
    app.post<{ Body: SignedContactsRequest }>('/v1/contacts/match', { schema: { body }, bodyLimit: CONTACTS_BODY_LIMIT }, async (req) => {
      const v = await verifier.verify(req.body);
      const result = matchContacts(opts.database, v.addresses, { kinds: opts.kinds, venueId: opts.venueId ?? v.payload.venue.venueId, mergeGapS: v.payload.mergeGapS });
      return { venue: { geohash: opts.geohash, venueId: opts.venueId ?? null }, signer: v.signer, authority: v.authority, ...result };
    });
  };
}

/** The daemon's wiring: the route with the on-chain authority check, when the chain is configured. */
export function kioskContactsRoutes(config: KioskConfig, database: Database, clock: Pick<Clock, 'now'>, chain: ContractRunner | undefined): FastifyPluginAsync | undefined {
  if (!chain || !config.chain.registry) return undefined;
  return contactsRoutes({
    database, clock, geohash: config.venue.geohash, venueId: config.chain.venueId, kinds: config.sightings.visitorKinds,
    isAuthority: chainAuthorityCheck(registryClient(chain, config.chain.registry)),
  });
}
