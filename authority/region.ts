/**
 * Region authorities: who may act for a geohash prefix. The registry admin, or the
 * authority of a shorter enclosing prefix, registers (or rotates) a prefix's authority; an
 * authority reports exposures for every venue beneath its prefix. The checks here read the
 * same rules the contract enforces, so a wrong key is named before any transaction.
 */
import { getAddress } from 'ethers';
import { WaymarkError } from '../core/errors.js';
import { readRegistry, requireSigner, type RegistryClient } from '../contracts/client.js';
import { registerRegion } from '../contracts/actions/register-region.js';
import { longestAuthorityPrefix, regionAuthorityOf as regionAuthority } from '../contracts/actions/region-authority.js';
import { assertAddress, assertRegionPrefix } from '../contracts/validate.js';

export { prefixKey } from '../contracts/actions/region-authority.js';

/** The authority registered for exactly `prefix`, or null. */
export async function regionAuthorityOf(reader: RegistryClient, prefix: string): Promise<string | null> {
  return regionAuthority(reader, { prefix });
}

/**
 * The longest prefix of `geohash` (at most `maxLength` characters) whose authority is `who`,
 * or null: the registry's `_authorityLevel`, read from outside.
 */
export async function authorityPrefixOf(reader: RegistryClient, geohash: string, who: string, maxLength = 8): Promise<string | null> {
  return (await longestAuthorityPrefix(reader, { geohash, who: [who], maxLength }))?.prefix ?? null;
}

export async function registryAdmin(reader: RegistryClient): Promise<string> {
  return getAddress(await readRegistry<string>(reader, 'admin', 'admin', []));
}

export interface RegionRegistration {
  prefix: string;
  authority: string;
  /** The authority the prefix had before (a rotation), or null. */
  previousAuthority: string | null;
  signer: string;
  /** 'admin', or the enclosing prefix whose authority signed. */
  signedAs: string;
  /** Null when the prefix already had this authority (nothing sent). */
  txHash: string | null;
  blockNumber: number | null;
}

/**
 * Registers `authority` for `prefix`, signed by `signer` (the admin, or the authority of a
 * shorter enclosing prefix). WAYMARK_ERR_CHAIN_UNAUTHORIZED, before any transaction, when the
 * signer is neither; registering the authority a prefix already has sends nothing.
 */
export async function registerRegionAuthority(signer: RegistryClient, params: { prefix: string; authority: string }): Promise<RegionRegistration> {
  const prefix = assertRegionPrefix(params.prefix);
  const authority = assertAddress(params.authority, 'authority');
  const me = getAddress(await requireSigner(signer, 'registerRegion').getAddress());
  const [admin, enclosing, previousAuthority] = await Promise.all([
    registryAdmin(signer),
    prefix.length > 1 ? authorityPrefixOf(signer, prefix, me, prefix.length - 1) : Promise.resolve(null),
    regionAuthorityOf(signer, prefix),
  ]);
  const signedAs = me === admin ? 'admin' : enclosing;
  if (!signedAs) {
    const above = prefix.length > 1 ? ` nor the authority of a prefix enclosing '${prefix}' (${Array.from({ length: prefix.length - 1 }, (_, i) => prefix.slice(0, i + 1)).join(', ')})` : '';
    throw new WaymarkError('WAYMARK_ERR_CHAIN_UNAUTHORIZED', `${me} is neither the registry admin (${admin})${above}; sign with one of those keys`, {
      details: { signer: me, admin, prefix },
    });
  }
  if (previousAuthority === authority) {
    return { prefix, authority, previousAuthority, signer: me, signedAs, txHash: null, blockNumber: null };
  }
  const r = await registerRegion(signer, { prefix, authority });
  return { prefix, authority, previousAuthority, signer: me, signedAs, txHash: r.txHash, blockNumber: r.blockNumber };
}
