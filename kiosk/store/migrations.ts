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
];
