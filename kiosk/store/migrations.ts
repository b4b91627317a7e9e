/**
 * The store's schema as named migrations, applied once each in this order and recorded
 * in the `migrations` table. Never edit a shipped entry: append a new one. Each part of
 * the kiosk owns its own entries (named `NNN-part-what`).
 */
export interface Migration {
  id: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { id: '001-sightings', sql: `
  CREATE TABLE salts (
    day INTEGER PRIMARY KEY,          -- UTC day number (days since 1970-01-01)
    salt BLOB NOT NULL                -- 32 random bytes; destroyed after the retention period
  );
  CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    address_hash TEXT NOT NULL,       -- HMAC-SHA256(salt of the day, address), 128 bits hex
    kind TEXT NOT NULL,               -- public | static | resolvable | non-resolvable | reserved
    first_seen INTEGER NOT NULL,      -- ms since epoch
    last_seen INTEGER NOT NULL,
    samples INTEGER NOT NULL,
    rssi_min REAL NOT NULL,           -- filtered RSSI statistics, dBm
    rssi_mean REAL NOT NULL,
    rssi_max REAL NOT NULL,
    rssi_last REAL NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX sessions_last_seen ON sessions(last_seen);
  CREATE INDEX sessions_first_seen ON sessions(first_seen);
  CREATE TABLE occupancy (
    t INTEGER PRIMARY KEY,            -- ms since epoch, sample time
    inside INTEGER NOT NULL,          -- visitor devices inside (filtered RSSI over the threshold)
    open_sessions INTEGER NOT NULL    -- all open sessions
  );
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  ` },
  { id: '002-checkin', sql: `
  CREATE TABLE attestations (
    id TEXT PRIMARY KEY,              -- 0x EIP-712 digest of the typed data (the record id, the Merkle leaf)
    kiosk TEXT NOT NULL,              -- signing kiosk address (checksummed)
    kiosk_seq INTEGER NOT NULL,       -- message.seq: the kiosk's attestation sequence number
    time INTEGER NOT NULL,            -- message.time, Unix seconds
    presence TEXT NOT NULL,           -- ble-tap | qr-token | nfc
    typed_data TEXT NOT NULL,         -- JSON { domain, types, primaryType, message } as returned
    signature TEXT NOT NULL,          -- 0x r || s || v
    created_at INTEGER NOT NULL,      -- ms since epoch (kiosk clock)
    batch_seq INTEGER,                -- NULL until the batcher puts it in a batch
    UNIQUE (kiosk, kiosk_seq)
  );
  CREATE INDEX attestations_unbatched ON attestations(created_at) WHERE batch_seq IS NULL;
  CREATE INDEX attestations_batch ON attestations(batch_seq);
  CREATE TABLE checkin_token_uses (
    nonce BLOB NOT NULL,              -- the check-in token's 8-byte nonce
    visitor BLOB NOT NULL,            -- the 32-byte visitor commitment
    expires_at INTEGER NOT NULL,      -- Unix seconds the token expires; the row is useless after
    PRIMARY KEY (nonce, visitor)
  ) WITHOUT ROWID;
  CREATE INDEX checkin_token_uses_expiry ON checkin_token_uses(expires_at);
  ` },
  { id: '003-batches', sql: `
  ALTER TABLE sessions ADD COLUMN batch_seq INTEGER;  -- NULL until the batcher puts the closed session in a batch
  CREATE INDEX sessions_unbatched ON sessions(last_seen) WHERE closed = 1 AND batch_seq IS NULL;
  CREATE TABLE batches (
    seq INTEGER PRIMARY KEY,          -- the kiosk's batch sequence number (commitBatch seq)
    root TEXT NOT NULL,               -- 0x Merkle root over the batch's leaf hashes
    count INTEGER NOT NULL,           -- records in the batch
    from_time INTEGER NOT NULL,       -- Unix seconds of the first record
    to_time INTEGER NOT NULL,         -- Unix seconds of the last record
    created_at INTEGER NOT NULL,      -- ms since epoch (kiosk clock)
    state TEXT NOT NULL,              -- pending | sent | confirmed
    tx_hash TEXT,                     -- the mined commit (or the last one sent)
    block_number INTEGER,             -- block of the mined commit; NULL while not mined (or reorged out)
    confirmed_at INTEGER,             -- ms since epoch (kiosk clock)
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT                   -- 'CODE: message' of the last failed attempt
  );
  CREATE INDEX batches_unconfirmed ON batches(seq) WHERE state != 'confirmed';
  CREATE TABLE batch_txs (
    tx_hash TEXT PRIMARY KEY,
    seq INTEGER NOT NULL REFERENCES batches(seq),
    nonce INTEGER NOT NULL,
    max_fee_per_gas TEXT NOT NULL,    -- wei, decimal
    max_priority_fee_per_gas TEXT NOT NULL,
    raw TEXT NOT NULL,                -- the signed transaction, rebroadcast after a restart or a reorg
    sent_at INTEGER NOT NULL          -- ms since epoch (wall clock)
  );
  CREATE INDEX batch_txs_seq ON batch_txs(seq);
  CREATE TABLE batch_records (
    record_id TEXT PRIMARY KEY,       -- 's-<session id>' | 'a-<attestation id>'
    seq INTEGER NOT NULL REFERENCES batches(seq),
    leaf_hash TEXT NOT NULL,          -- OpenZeppelin standard leaf hash of (leaf_encoding, leaf)
    leaf_encoding TEXT,               -- JSON array of Solidity types; NULL once pruned by retention
    leaf TEXT,                        -- JSON array of values; NULL once pruned by retention
    opening TEXT,                     -- JSON secret that opens a blinded leaf field; NULL once pruned
    record_time INTEGER NOT NULL      -- Unix seconds of the record's end (for retention)
  );
  CREATE INDEX batch_records_seq ON batch_records(seq);
  CREATE INDEX batch_records_time ON batch_records(record_time) WHERE leaf IS NOT NULL;
  ` },
  { id: '004-visits', sql: `
  -- A device's sessions joined across its address rotations (kiosk/sightings/visits.ts). No address
  -- hash and no session id: the rows link no two addresses; times are coarsened to the minute.
  CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    first_seen INTEGER NOT NULL,      -- ms since epoch, rounded down to the minute
    last_seen INTEGER NOT NULL,       -- ms since epoch, rounded up to the minute
    dwell_s INTEGER NOT NULL,         -- first to last report, whole seconds
    addresses INTEGER NOT NULL,       -- addresses the device used during the visit
    class TEXT NOT NULL               -- visitor | passer-by | fixed
  );
  CREATE INDEX visits_first_seen ON visits(first_seen);
  CREATE INDEX visits_last_seen ON visits(last_seen);
  ALTER TABLE occupancy ADD COLUMN visits INTEGER;  -- visitors' devices inside, each once (NULL with visits off)
  ` },
  { id: '005-contacts-indexes', sql: `
  -- contact matching (kiosk/contacts/match.ts): a published address's sessions by hash, and the
  -- few sessions longer than a rotation period, which may overlap a window from far before it
  CREATE INDEX sessions_address_hash ON sessions(address_hash);
  CREATE INDEX sessions_duration ON sessions(last_seen - first_seen);
  ` },
  { id: '006-community-reports', sql: `
  -- the kiosk's anonymous community reports (kiosk/community-reporter.ts): one per epoch, ever
  CREATE TABLE community_reports (
    epoch INTEGER PRIMARY KEY,        -- floor(time / 3600)
    report TEXT NOT NULL,             -- the signed report, JSON (docs/PROTOCOL.md "Community reports")
    sent_at INTEGER                   -- ms since epoch (wall clock); NULL until delivered
  );
  ` },
];
