/**
 * Which rings the region authority accepts: every member must be the key of a kiosk the
 * registry holds for the region (contracts/actions/community-keys.ts), and, unless told
 * otherwise, the ring must be the whole community (a smaller ring would narrow who reported).
 */
import { WaymarkError } from '../core/errors.js';
import type { CommunityKeysReturnType } from '../contracts/actions/community-keys.js';

const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');

export function communityRingCheck(community: CommunityKeysReturnType, opts: { allowPartialRing?: boolean } = {}): (ring: Uint8Array[]) => void {
  const members = new Map(community.kiosks.map((k) => [k.publicKey.toLowerCase(), k.kiosk]));
  return (ring) => {
    const keys = ring.map(hex);
    const strangers = keys.filter((k) => !members.has(k));
    if (strangers.length) {
      throw new WaymarkError('WAYMARK_ERR_COMMUNITY_RING_INVALID', `${strangers.length} ring key(s) are not kiosks of region ${community.region}: ${strangers.slice(0, 3).join(', ')}`);
    }
    if (!opts.allowPartialRing && keys.length !== members.size) {
      throw new WaymarkError('WAYMARK_ERR_COMMUNITY_RING_INVALID', `the ring holds ${keys.length} of the region's ${members.size} kiosk keys`);
    }
  };
}
