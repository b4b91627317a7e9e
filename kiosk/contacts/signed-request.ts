/**
 * The region authority's signed contact-match request (POST /v1/contacts/match). The body
 * is `{ request, signature }`: `request` is the JSON text of the payload below, and
 * `signature` its EIP-191 personal_sign (`"\x19Ethereum Signed Message:\n" + len + text`)
 * by the authority's key. Signing the exact text avoids any canonical-JSON question.
 *
 *   { "type": "waymark-contacts-match/1", "venue": { "geohash": "u4pruydqq", "venueId": 12 },
 *     "timestamp": 1767261600, "addresses": ["AA:BB:CC:DD:EE:FF,1767258000,1767259800", ...] }
 *
 * The kiosk recovers the signer, refuses a timestamp more than 5 minutes from its clock, a
 * request for another venue and a signature it has already answered, and only then asks
 * whether the signer is an authority of the venue (on chain).
 */
import { verifyMessage } from 'ethers';
import { WaymarkError } from '../../core/errors.js';
import { parseAddressList, type PublishedAddress } from './address-list.js';
import type { AuthorityFinding, VenueAuthorityCheck } from './venue-authority.js';

export const CONTACTS_REQUEST_TYPE = 'waymark-contacts-match/1';
/** How far the request's timestamp may be from the kiosk's clock, seconds. */
export const CONTACTS_REQUEST_MAX_SKEW_S = 300;

export interface ContactsRequestPayload {
  type: typeof CONTACTS_REQUEST_TYPE;
  venue: { geohash: string; venueId?: number };
  /** When the authority signed, Unix seconds. */
  timestamp: number;
  /** Address list lines: `AA:BB:CC:DD:EE:FF` or `AA:BB:CC:DD:EE:FF,fromUnix,toUnix`. */
  addresses: string[];
  /** Windows closer than this make one visit, seconds (optional). */
  mergeGapS?: number;
}

export interface SignedContactsRequest {
  request: string;
  signature: string;
}

export interface VerifiedContactsRequest {
  signer: string;
  authority: AuthorityFinding;
  payload: ContactsRequestPayload;
  addresses: PublishedAddress[];
}

/** Signs a payload as an authority would (tests, and any authority-side client). */
export async function signContactsRequest(signer: { signMessage(message: string): Promise<string> }, payload: ContactsRequestPayload): Promise<SignedContactsRequest> {
  const request = JSON.stringify(payload);
  return { request, signature: await signer.signMessage(request) };
}

export interface ContactsRequestVerifierOptions {
  /** This kiosk's venue. */
  geohash: string;
  venueId?: number;
  isAuthority: VenueAuthorityCheck;
  /** The kiosk clock, ms. */
  now: () => number;
}

const refuse = (detail: string, details?: Record<string, unknown>): WaymarkError =>
  new WaymarkError('WAYMARK_ERR_CONTACTS_SIGNATURE', detail, details ? { details } : {});

export class ContactsRequestVerifier {
  readonly #opts: ContactsRequestVerifierOptions;
  /** Signatures already answered, until their timestamp leaves the window: no replays. */
  readonly #used = new Map<string, number>();

  constructor(opts: ContactsRequestVerifierOptions) {
    this.#opts = opts;
  }

  async verify(body: SignedContactsRequest): Promise<VerifiedContactsRequest> {
    const nowS = Math.floor(this.#opts.now() / 1000);
    let payload: ContactsRequestPayload;
    try {
      payload = JSON.parse(body.request) as ContactsRequestPayload;
    } catch {
      throw refuse('request is not JSON text');
    }
    if (!payload || typeof payload !== 'object' || payload.type !== CONTACTS_REQUEST_TYPE) throw refuse(`request.type must be ${CONTACTS_REQUEST_TYPE}`);
    if (!Number.isSafeInteger(payload.timestamp)) throw refuse('request.timestamp must be Unix seconds');
    if (!payload.venue || typeof payload.venue.geohash !== 'string') throw refuse('request.venue.geohash is missing');
    if (!Array.isArray(payload.addresses) || !payload.addresses.every((a) => typeof a === 'string')) throw refuse('request.addresses must be an array of strings');
    if (payload.mergeGapS !== undefined && !(Number.isFinite(payload.mergeGapS) && payload.mergeGapS >= 0 && payload.mergeGapS <= 86_400)) {
      throw refuse('request.mergeGapS must be 0..86400 seconds');
    }
    let signer: string;
    try {
      signer = verifyMessage(body.request, body.signature);
    } catch {
      throw refuse('the signature does not recover a signer (EIP-191 personal_sign over the request text)');
    }
    const skew = payload.timestamp - nowS;
    if (Math.abs(skew) > CONTACTS_REQUEST_MAX_SKEW_S) {
      throw refuse(`request.timestamp is ${Math.abs(skew)} s ${skew < 0 ? 'old' : 'in the future'}; at most ${CONTACTS_REQUEST_MAX_SKEW_S} s`, { signer, skewS: skew });
    }
    if (payload.venue.geohash !== this.#opts.geohash || (payload.venue.venueId !== undefined && this.#opts.venueId !== undefined && payload.venue.venueId !== this.#opts.venueId)) {
      throw refuse(`the request is for venue ${JSON.stringify(payload.venue)}, this kiosk serves ${this.#opts.geohash}${this.#opts.venueId !== undefined ? ` (venue ${this.#opts.venueId})` : ''}`, { signer });
    }
    for (const [sig, until] of this.#used) if (until < nowS) this.#used.delete(sig);
    const key = body.signature.toLowerCase();
    if (this.#used.has(key)) throw refuse('this signed request was already answered; sign a new one', { signer });
    this.#used.set(key, payload.timestamp + CONTACTS_REQUEST_MAX_SKEW_S);
    const authority = await this.#opts.isAuthority(signer, this.#opts.geohash);
    if (!authority) {
      throw new WaymarkError('WAYMARK_ERR_CONTACTS_NOT_AUTHORITY', `${signer} holds no region of ${this.#opts.geohash}`, { details: { signer } });
    }
    return { signer, authority, payload, addresses: parseAddressList(payload.addresses) };
  }
}
