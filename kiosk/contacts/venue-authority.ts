/**
 * Who may ask this kiosk for contact matches: a region authority of the venue, i.e. the
 * registry's `regionAuthority` of some prefix (1..8 characters) of the venue's geohash, as
 * the registry's own `_authorityLevel` reads it. A fixed list is the fallback for a kiosk
 * without a chain (tests, a lab), and says so in what it returns.
 */
import { getAddress } from 'ethers';
import type { RegistryClient } from '../../contracts/client.js';
import { longestAuthorityPrefix } from '../../contracts/actions/region-authority.js';

export interface AuthorityFinding {
  /** The longest geohash prefix the signer is authority of, or null (list check). */
  prefix: string | null;
  /** Where the role was checked. */
  checkedOn: 'chain' | 'list';
}

/** Resolves to the finding, or null when `signer` is no authority of the venue at `geohash`. */
export type VenueAuthorityCheck = (signer: string, geohash: string) => Promise<AuthorityFinding | null>;

/** The on-chain check: reads regionAuthority for the 8 prefixes of the venue's geohash. */
export function chainAuthorityCheck(client: RegistryClient): VenueAuthorityCheck {
  return async (signer, geohash) => {
    const found = await longestAuthorityPrefix(client, { geohash, who: [signer] });
    return found ? { prefix: found.prefix, checkedOn: 'chain' } : null;
  };
}

/** The fallback: a configured list of authority addresses (no prefix known). */
export function listAuthorityCheck(addresses: readonly string[]): VenueAuthorityCheck {
  const allowed = new Set(addresses.map((a) => getAddress(a)));
  return async (signer) => (allowed.has(getAddress(signer)) ? { prefix: null, checkedOn: 'list' } : null);
}
