/**
 * Closed sighting sessions as batch records. A session's leaf carries its times, sample
 * count and filtered RSSI statistics, and only a blinded commitment to its address hash
 * (docs/PROTOCOL.md "Batch leaves"), so a published proof cannot link two sessions.
 */
import { randomBytes } from 'node:crypto';
import { AbiCoder, keccak256 } from 'ethers';
import type { SightingsStore } from '../store/sightings-store.js';
import type { SessionRecord } from '../sightings/sessions.js';
import type { BatchRecord, RecordSource } from './records.js';

export const SESSION_LEAF_TAG = 'waymark.session.v1';

/** tag, session id, address kind, device commitment, first/last seen (ms), samples, RSSI min/mean/max (centi-dBm). */
export const SESSION_LEAF_ENCODING = ['string', 'uint64', 'string', 'bytes32', 'uint64', 'uint64', 'uint32', 'int32', 'int32', 'int32'] as const;

/** keccak256(abi.encode(bytes16 addressHash, bytes16 blind)). */
export function deviceCommitment(addressHash: string, blind: string): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(['bytes16', 'bytes16'], [`0x${addressHash}`, blind]));
}

const centi = (dbm: number): number => Math.round(dbm * 100);

/** The leaf of one closed session under a given blind (16 bytes, 0x hex). */
export function sessionLeaf(session: SessionRecord, blind: string): unknown[] {
  return [
    SESSION_LEAF_TAG,
    session.id,
    session.kind,
    deviceCommitment(session.addressHash, blind),
    Math.round(session.firstSeen),
    Math.round(session.lastSeen),
    session.samples,
    centi(session.rssiMin),
    centi(session.rssiMean),
    centi(session.rssiMax),
  ];
}

export function sessionRecordId(sessionId: number): string {
  return `s-${sessionId}`;
}

export function sessionRecord(session: SessionRecord, blind = `0x${randomBytes(16).toString('hex')}`): BatchRecord {
  return {
    id: sessionRecordId(session.id),
    leafEncoding: SESSION_LEAF_ENCODING,
    leaf: sessionLeaf(session, blind),
    fromMs: session.firstSeen,
    toMs: session.lastSeen,
    readyAt: session.lastSeen,
    opening: { blind },
  };
}

/** The sightings store's closed, unbatched sessions as a RecordSource. */
export function sessionRecordSource(store: SightingsStore): RecordSource {
  return {
    name: 'sessions',
    pending() {
      const s = store.unbatchedSessionStats();
      return { count: s.count, oldestReadyAt: s.oldestLastSeen };
    },
    take: (limit) => store.unbatchedSessions(limit).map((s) => sessionRecord(s)),
    markBatched(ids, seq) {
      store.markSessionsBatched(ids.map((id) => {
        const m = /^s-(\d+)$/.exec(id);
        if (!m) throw new Error(`not a session record id: ${id}`);
        return Number(m[1]);
      }), seq);
    },
  };
}
