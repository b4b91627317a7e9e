/**
 * The wallet's check-ins at rest: each one is stored as an S2 crypto-spatiotemporal record
 * (its Unix time and geohash-9, AES-GCM) beside its sealed evidence (attestation, kiosk URL,
 * proof, check-out), both under one AES-256-GCM key generated on the phone, non-extractable,
 * kept in IndexedDB. Nothing readable says where the owner was; everything goes after 14 days.
 */
import { generateRecordKey, openCsi, openJson, sealCsi, sealJson, type SealedRecord, type SpatiotemporalPoint } from '../../beacon/visitor/csi.js';
import type { WalletEntry } from '../../beacon/visitor/wallet.js';
import type { WalletDb } from './db.js';

/** Check-ins are kept this long after arrival, seconds (the exposure window of the registry). */
export const RETENTION_S = 14 * 86_400;
const DAY_S = 86_400;

/** One row of the `checkins` store: only the id (a hash) and a deletion day are readable. */
interface SealedCheckinRow {
  id: string;
  /** Unix seconds, rounded up to a UTC day so the row does not give away the hour of the visit. */
  deleteAfter: number;
  csi: SealedRecord;
  entry: SealedRecord;
}

export interface OpenedCheckin {
  entry: WalletEntry;
  /** The S2 record, opened: where and when. */
  place: SpatiotemporalPoint;
}

export class Vault {
  private constructor(private readonly db: WalletDb, private readonly key: CryptoKey) {}

  /** Opens the wallet's vault; the first start generates the key (it never leaves this browser profile). */
  static async open(db: WalletDb): Promise<Vault> {
    let key = await db.get<CryptoKey>('keys', 'records');
    if (!key) {
      key = await generateRecordKey();
      await db.put('keys', key, 'records');
    }
    return new Vault(db, key);
  }

  async put(entry: WalletEntry): Promise<void> {
    const { id } = entry.attestation;
    const { time, geohash } = entry.attestation.typedData.message;
    const row: SealedCheckinRow = {
      id,
      deleteAfter: Math.ceil((time + RETENTION_S) / DAY_S) * DAY_S,
      csi: await sealCsi(this.key, { time, geohash }, id),
      entry: await sealJson(this.key, entry, id),
    };
    await this.db.put('checkins', row);
  }

  /**
   * Every check-in younger than the retention period, newest first. Rows past it are deleted
   * on the way; rows that do not open (another key: storage restored from elsewhere) are counted.
   */
  async list(now: number): Promise<{ checkins: OpenedCheckin[]; unreadable: number; deleted: number }> {
    let deleted = await this.sweep(now);
    const checkins: OpenedCheckin[] = [];
    let unreadable = 0;
    for (const row of await this.db.getAll<SealedCheckinRow>('checkins')) {
      try {
        const place = await openCsi(this.key, row.csi, row.id);
        if (place.time <= now - RETENTION_S) {
          await this.db.delete('checkins', row.id);
          deleted++;
          continue;
        }
        checkins.push({ place, entry: await openJson<WalletEntry>(this.key, row.entry, row.id) });
      } catch {
        unreadable++;
      }
    }
    return { checkins: checkins.sort((a, b) => b.place.time - a.place.time), unreadable, deleted };
  }

  /** Deletes the rows whose day of deletion has come; returns how many. */
  async sweep(now: number): Promise<number> {
    const due = await this.db.dueForDeletion(now);
    for (const id of due) await this.db.delete('checkins', id);
    return due.length;
  }
}
