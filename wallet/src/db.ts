/**
 * The wallet's IndexedDB: three object stores — `keys` (the non-extractable record key),
 * `checkins` (sealed check-ins, keyed by attestation id) and `meta` (settings and the cache
 * of public exposure reports) — behind a few promise helpers. Plain IndexedDB, no library.
 */

export const WALLET_DB = 'waymark-wallet';
export type StoreName = 'keys' | 'checkins' | 'meta';

function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export class WalletDb {
  private constructor(private readonly db: IDBDatabase) {}

  static open(name = WALLET_DB): Promise<WalletDb> {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(name, 1);
      req.onupgradeneeded = () => {
        const db = req.result;
        db.createObjectStore('keys');
        db.createObjectStore('checkins', { keyPath: 'id' }).createIndex('deleteAfter', 'deleteAfter');
        db.createObjectStore('meta');
      };
      req.onsuccess = () => resolve(new WalletDb(req.result));
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('the wallet is open in another tab with an older version; close it'));
    });
  }

  private store(name: StoreName, mode: IDBTransactionMode): IDBObjectStore {
    return this.db.transaction(name, mode).objectStore(name);
  }

  get<T>(store: StoreName, key: IDBValidKey): Promise<T | undefined> {
    return done(this.store(store, 'readonly').get(key)) as Promise<T | undefined>;
  }

  getAll<T>(store: StoreName): Promise<T[]> {
    return done(this.store(store, 'readonly').getAll()) as Promise<T[]>;
  }

  async put(store: StoreName, value: unknown, key?: IDBValidKey): Promise<void> {
    await done(this.store(store, 'readwrite').put(value, key));
  }

  async delete(store: StoreName, key: IDBValidKey | IDBKeyRange): Promise<void> {
    await done(this.store(store, 'readwrite').delete(key));
  }

  /** Keys of the check-ins whose deleteAfter is at or before `time`. */
  async dueForDeletion(time: number): Promise<IDBValidKey[]> {
    const index = this.store('checkins', 'readonly').index('deleteAfter');
    return done(index.getAllKeys(IDBKeyRange.upperBound(time)));
  }

  close(): void {
    this.db.close();
  }
}
