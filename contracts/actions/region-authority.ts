/**
 * Who holds a region: the registry's `regionAuthority` of a geohash prefix, and of every
 * prefix above a cell (the registry's `_authorityLevel` looks for the longest one whose
 * authority is the caller).
 */
import { getAddress } from 'ethers';
import { readRegistry, type RegistryClient } from '../client.js';
import { assertRegionPrefix } from '../validate.js';

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

/** A geohash prefix as the registry keys it: the ASCII characters left-aligned in a bytes9. */
export function prefixKey(prefix: string): string {
  return '0x' + Buffer.from(prefix, 'latin1').toString('hex').padEnd(18, '0');
}

/** The authority registered for exactly `prefix` (1..8 characters), or null. */
export async function regionAuthorityOf(client: RegistryClient, params: { prefix: string }): Promise<string | null> {
  const prefix = assertRegionPrefix(params.prefix);
  const address = await readRegistry<string>(client, 'regionAuthority', 'regionAuthority', [prefixKey(prefix)]);
  return address === ZERO_ADDRESS ? null : getAddress(address);
}

/**
 * The authority of each prefix of `geohash` (1 to `maxLength` characters, at most 8), read
 * together, shortest first; `authority` null where none is registered.
 */
export async function regionAuthoritiesAbove(client: RegistryClient, params: { geohash: string; maxLength?: number }): Promise<{ prefix: string; authority: string | null }[]> {
  const n = Math.min(params.maxLength ?? 8, 8, params.geohash.length);
  const prefixes = Array.from({ length: n }, (_, i) => params.geohash.slice(0, i + 1));
  const holders = await Promise.all(prefixes.map((prefix) => regionAuthorityOf(client, { prefix })));
  return prefixes.map((prefix, i) => ({ prefix, authority: holders[i]! }));
}

/** The longest prefix of `geohash` whose authority is one of `who`, with that address; null if none. */
export async function longestAuthorityPrefix(client: RegistryClient, params: { geohash: string; who: readonly string[]; maxLength?: number }): Promise<{ prefix: string; authority: string } | null> {
  const wanted = new Set(params.who.map((a) => getAddress(a)));
  const above = await regionAuthoritiesAbove(client, params);
  for (let i = above.length - 1; i >= 0; i--) {
    const { prefix, authority } = above[i]!;
    if (authority !== null && wanted.has(authority)) return { prefix, authority };
  }
  return null;
}
