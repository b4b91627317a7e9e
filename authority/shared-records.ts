/**
 * The health authority's check of what a diagnosed visitor shared: every record must be a
 * kiosk-signed EIP-712 attestation for this registry (not altered since), signed by a kiosk
 * of the venue it names, and inside a batch whose Merkle root that kiosk anchored on chain.
 * Records that fail are refused one by one with a named code; the rest become stays.
 */
import { getAddress, zeroPadValue, toBeHex } from 'ethers';
import { WaymarkError, isWaymarkError, type ErrorCode } from '../core/errors.js';
import { verifyAttestation } from '../beacon/visitor/attestation.js';
import { verifyRecordProof } from '../beacon/visitor/proofs.js';
import { stayOf, type DepartureSource } from '../beacon/visitor/exposure.js';
import type { SharedCheckins } from '../beacon/visitor/share.js';
import { registryContract, type RegistryClient } from '../contracts/client.js';
import { isKiosk } from '../contracts/actions/is-kiosk.js';
import { batchRoot } from '../contracts/actions/batch-root.js';
import { scanRegistryLogs } from './log-scan.js';

/** What the verifier reads from the chain; each answer is cached (per venue and kiosk, per batch). */
export interface AnchorReader {
  /** Is `kiosk` an authorized kiosk of `venueId` now (`isKiosk`)? */
  isKiosk(venueId: number, kiosk: string): Promise<boolean>;
  /** Did `kiosk` commit batch `seq` for `venueId` (a BatchCommitted event)? For kiosks revoked since. */
  committedBatch(venueId: number, kiosk: string, seq: number): Promise<boolean>;
  /** `batchRoot(kiosk, seq)`: the zero hash when nothing was committed. */
  batchRoot(kiosk: string, seq: number): Promise<string>;
}

/** The registry behind `client`, each read made once per run (promises are shared, so parallel checks wait for one read). */
export function cachedAnchorReader(client: RegistryClient, opts: { fromBlock?: number } = {}): AnchorReader {
  const kiosks = new Map<string, Promise<boolean>>();
  const roots = new Map<string, Promise<string>>();
  const commits = new Map<string, Promise<Set<number>>>();
  const once = <T>(cache: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> => {
    let p = cache.get(key);
    if (!p) {
      p = read();
      cache.set(key, p);
      p.catch(() => cache.delete(key)); // a failed read is tried again next time
    }
    return p;
  };
  return {
    isKiosk: (venueId, kiosk) => once(kiosks, `${venueId}:${kiosk.toLowerCase()}`, () => isKiosk(client, { venueId, kiosk })),
    batchRoot: (kiosk, seq) => once(roots, `${kiosk.toLowerCase()}:${seq}`, () => batchRoot(client, { kiosk, seq })),
    async committedBatch(venueId, kiosk, seq) {
      const seqs = await once(commits, `${venueId}:${kiosk.toLowerCase()}`, async () => {
        const iface = registryContract(client).interface;
        const topics = [iface.getEvent('BatchCommitted')!.topicHash, zeroPadValue(toBeHex(venueId), 32), zeroPadValue(getAddress(kiosk), 32)];
        const { logs } = await scanRegistryLogs(client, topics, { fromBlock: opts.fromBlock });
        return new Set(logs.map((log) => Number(iface.parseLog(log)!.args.seq as bigint)));
      });
      return seqs.has(seq);
    },
  };
}

export interface VerifiedSharedRecord {
  /** Index of the record in the shared document. */
  record: number;
  /** The attestation id (its EIP-712 digest). */
  id: string;
  venueId: number;
  geohash: string;
  kiosk: string;
  /** The kiosk's batch the record is anchored in. */
  batchSeq: number;
  /** The visitor's stay, Unix seconds: the attested arrival, and the check-out or arrival + the default stay. */
  arrival: number;
  departure: number;
  departureSource: DepartureSource;
  /** 'authorized' (isKiosk now), or 'committed' (revoked since, but it anchored this batch for the venue). */
  signerCheck: 'authorized' | 'committed';
}

export interface RefusedSharedRecord {
  record: number;
  /** The attestation id as the record states it, when it has one. */
  id: string | null;
  venueId: number | null;
  code: ErrorCode;
  message: string;
}

export interface ShareVerification {
  verified: VerifiedSharedRecord[];
  refused: RefusedSharedRecord[];
  /** Records that repeat an earlier one (same id), skipped. */
  duplicates: number;
}

export interface VerifyShareOptions {
  /** The chain and registry the attestations must be for (their EIP-712 domain). */
  chainId: number;
  registry: string;
  /** Stay assumed when a record has no check-out, seconds (default 3600, as the visitor's matcher). */
  defaultStayS?: number;
}

/** Refuses one record: a WaymarkError whose code says why. */
function refuse(code: ErrorCode, message: string, details?: Record<string, unknown>): never {
  throw new WaymarkError(code, message, details ? { details } : {});
}

/**
 * Verifies every record of a share, in order: signature and domain
 * (WAYMARK_ERR_ATTESTATION_INVALID: forged in the kiosk's name, altered, another registry),
 * the signer a kiosk of the venue (WAYMARK_ERR_ATTESTATION_UNAUTHORIZED), the Merkle proof to
 * its root (WAYMARK_ERR_PROOF_INVALID, also when the root on chain differs) and that root on
 * chain (WAYMARK_ERR_SHARE_UNANCHORED). Chain failures are not refusals: they throw.
 */
export async function verifySharedRecords(share: SharedCheckins, anchors: AnchorReader, opts: VerifyShareOptions): Promise<ShareVerification> {
  const registry = getAddress(opts.registry);
  const verified: VerifiedSharedRecord[] = [];
  const refused: RefusedSharedRecord[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const [i, rec] of share.records.entries()) {
    const att = rec.attestation;
    const stated = typeof att?.id === 'string' ? att.id.toLowerCase() : null;
    if (stated && seen.has(stated)) {
      duplicates++;
      continue;
    }
    if (stated) seen.add(stated);
    const m = att?.typedData?.message;
    try {
      verifyAttestation(att, { chainId: opts.chainId, verifyingContract: registry });
      const kiosk = getAddress(m.kiosk);
      let signerCheck: VerifiedSharedRecord['signerCheck'] = 'authorized';
      if (!(await anchors.isKiosk(m.venueId, kiosk))) {
        if (!(await anchors.committedBatch(m.venueId, kiosk, rec.proof.seq))) {
          refuse('WAYMARK_ERR_ATTESTATION_UNAUTHORIZED', `${kiosk} is not a kiosk of venue ${m.venueId} and never anchored batch ${rec.proof.seq} for it`, { kiosk, venueId: m.venueId });
        }
        signerCheck = 'committed';
      }
      const check = await verifyRecordProof(att, rec.proof, (k, seq) => anchors.batchRoot(k, seq));
      if (check.onChain !== 'matches') {
        refuse('WAYMARK_ERR_SHARE_UNANCHORED', `kiosk ${kiosk} has committed no batch ${check.seq} (its root ${check.root} is not on chain); if the check-in is recent, try again after the kiosk's next batch`, {
          kiosk, seq: check.seq, root: check.root,
        });
      }
      const stay = stayOf({ id: att.id, venueId: m.venueId, geohash: m.geohash, time: m.time, checkoutTime: rec.checkoutTime }, { defaultStayS: opts.defaultStayS });
      verified.push({
        record: i, id: att.id.toLowerCase(), venueId: m.venueId, geohash: m.geohash, kiosk, batchSeq: check.seq,
        arrival: stay.from, departure: stay.to, departureSource: stay.departure, signerCheck,
      });
    } catch (err) {
      if (!isWaymarkError(err) || !REFUSAL_CODES.has(err.code)) throw err;
      refused.push({ record: i, id: stated, venueId: Number.isSafeInteger(m?.venueId) ? m.venueId : null, code: err.code, message: err.message });
    }
  }
  return { verified, refused, duplicates };
}

/** What a record can be refused with; any other error (an unreachable node) stops the run. */
export const REFUSAL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'WAYMARK_ERR_ATTESTATION_INVALID',
  'WAYMARK_ERR_ATTESTATION_UNAUTHORIZED',
  'WAYMARK_ERR_PROOF_INVALID',
  'WAYMARK_ERR_SHARE_UNANCHORED',
  'WAYMARK_ERR_CHAIN_UNKNOWN_VENUE', // venue id 0
  'WAYMARK_ERR_BAD_REQUEST', // a field the chain reads cannot take
]);
