/**
 * Once an epoch (an hour) the kiosk signs an anonymous community report — its occupancy and
 * crowding level — with a linkable ring signature over the keys of its region's kiosks
 * (community/report.ts), and sends it to the region authority's collector
 * (`community.reportUrl`). The authority learns "a kiosk of region X reports this", not which.
 *
 * One report per epoch, ever: the report is stored (the `community_reports` table, fsynced)
 * before it is sent, and an epoch with a stored report is never signed again, so a restart or
 * a failed send cannot produce a second signature (which the authority would see as the
 * same kiosk reporting twice). Unsent reports are sent again at each poll, oldest first.
 * Nothing is signed while the clock is unsynced, without a capacity (the crowding level is
 * relative to it) or while the ring is smaller than `community.minRingSize` (a small ring
 * narrows who reported).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { Provider } from 'ethers';
import { WaymarkError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import { redactUrl } from '../core/redact.js';
import { COMMUNITY_EPOCH_S, signCommunityReport, type CommunityReport, type CrowdingLevel } from '../community/report.js';
import { registryClient } from '../contracts/client.js';
import { getVenue } from '../contracts/actions/get-venue.js';
import { communityKeys } from '../contracts/actions/community-keys.js';
import { durableTransaction, type Database } from './store/database.js';
import type { Kiosk } from './kiosk.js';
import { PollLoop, errorText } from './poll-loop.js';

/** Crowding from the count and the venue's capacity: up to 50 % low, 80 % moderate, 100 % high, above full. */
export function crowdingLevel(occupancy: number, capacity: number): CrowdingLevel {
  const share = occupancy / capacity;
  if (share > 1) return 'full';
  if (share > 0.8) return 'high';
  if (share > 0.5) return 'moderate';
  return 'low';
}

export interface CommunityReporterOptions {
  db: Database;
  clock: Clock;
  /** The kiosk key (secp256k1, 0x hex): its public key must be in the ring. */
  privateKey: string;
  /** The community: the venue's region prefix. */
  region: () => Promise<string>;
  /** The region's kiosk keys (compressed, 33 bytes), read from the registry. */
  ring: (region: string) => Promise<Uint8Array[]>;
  /** The count now, and the capacity it is measured against (null: none known, no report). */
  occupancy: () => { occupancy: number; capacity: number | null };
  /** Delivers one report; throws on failure (it is sent again at the next poll). */
  send: (report: CommunityReport) => Promise<void>;
  minRingSize?: number;
  /** Wall ms between polls (default 60 s). */
  pollMs?: number;
  /** Unsent reports older than this many epochs are dropped (default 24). */
  keepEpochs?: number;
  logger?: Logger;
  secrets?: readonly string[];
}

export interface CommunityReporterStatus {
  /** Epoch of the latest report signed, null if none. */
  lastEpoch: number | null;
  signed: number;
  sent: number;
  /** Stored and not delivered yet. */
  pending: number;
  ringSize: number | null;
  /** Why the current epoch has no report yet, or the last send error. */
  lastError: string | null;
}

export const DEFAULT_COMMUNITY_POLL_MS = 60_000;
/** While the ring does not do (too small, or this kiosk not in it yet), it is read again this often, kiosk s. */
export const RING_RETRY_S = 600;

export class CommunityReporter {
  readonly #o: CommunityReporterOptions;
  readonly #log: Logger;
  readonly #publicKey: Uint8Array;
  readonly #secretKey: Uint8Array;
  readonly #minRing: number;
  #region: string | undefined;
  #ring: { epoch: number; readAt: number; keys: Uint8Array[]; unusable: boolean } | undefined;
  #signed = 0;
  #sent = 0;
  #lastError: string | null = null;
  readonly #loop: PollLoop;

  constructor(opts: CommunityReporterOptions) {
    this.#o = opts;
    this.#log = opts.logger ?? silentLogger;
    this.#minRing = opts.minRingSize ?? 3;
    this.#secretKey = Uint8Array.from(Buffer.from(opts.privateKey.replace(/^0x/, ''), 'hex'));
    this.#publicKey = secp256k1.getPublicKey(this.#secretKey, true);
    this.#loop = new PollLoop(() => this.#poll(), opts.pollMs ?? DEFAULT_COMMUNITY_POLL_MS);
  }

  start(): void {
    this.#loop.start();
  }

  /** Signs this epoch's report if due, then sends what is unsent. */
  async refresh(): Promise<CommunityReporterStatus> {
    await this.#loop.run();
    return this.status();
  }

  status(): CommunityReporterStatus {
    const db = this.#o.db;
    const last = db.prepare('SELECT MAX(epoch) AS e FROM community_reports').get() as { e: number | null };
    const pending = db.prepare('SELECT COUNT(*) AS n FROM community_reports WHERE sent_at IS NULL').get() as { n: number };
    return { lastEpoch: last.e, signed: this.#signed, sent: this.#sent, pending: pending.n, ringSize: this.#ring?.keys.length ?? null, lastError: this.#lastError };
  }

  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  async #poll(): Promise<void> {
    if (this.#loop.stopped) return;
    try {
      this.#lastError = await this.#signDue();
    } catch (err) {
      this.#fail(err, 'community report: could not sign this epoch\'s report; trying again at the next poll');
    }
    await this.#sendPending();
  }

  /** Signs and stores the current epoch's report unless it exists; returns why not, or null. */
  async #signDue(): Promise<string | null> {
    const now = Math.floor(this.#o.clock.now() / 1000);
    const epoch = Math.floor(now / COMMUNITY_EPOCH_S);
    const db = this.#o.db;
    if (db.prepare('SELECT 1 FROM community_reports WHERE epoch = ?').get(epoch)) return null;
    if (!this.#o.clock.syncStatus().synced) return 'clock not synced';
    const { occupancy, capacity } = this.#o.occupancy();
    if (capacity === null) return 'no capacity policy: the crowding level is unknown';
    this.#region ??= await this.#o.region();
    // the ring is read once an epoch, and again every RING_RETRY_S while it does not do
    const r = this.#ring;
    if (r?.epoch !== epoch || (r.unusable && now - r.readAt >= RING_RETRY_S)) {
      this.#ring = { epoch, readAt: now, keys: await this.#o.ring(this.#region), unusable: false };
    }
    const ring = this.#ring!.keys;
    const unusable = !ring.some((k) => Buffer.compare(k, this.#publicKey) === 0)
      ? "this kiosk's key is not in the community yet (it shows once the kiosk has committed a batch)"
      : ring.length < this.#minRing ? `the community has ${ring.length} kiosk key(s); reports need a ring of at least ${this.#minRing}` : null;
    this.#ring!.unusable = unusable !== null;
    if (unusable) return unusable;
    const report = signCommunityReport({
      body: { region: this.#region, time: now, occupancy, crowding: crowdingLevel(occupancy, capacity) },
      ring,
      secretKey: this.#secretKey,
    });
    // stored (fsynced) before it leaves: an epoch is signed once, whatever happens next
    durableTransaction(db, () => db.prepare('INSERT INTO community_reports (epoch, report) VALUES (?, ?)').run(epoch, JSON.stringify(report)));
    this.#signed++;
    this.#log.info({ epoch, region: this.#region, ringSize: ring.length, crowding: report.crowding }, 'community report signed');
    return null;
  }

  async #sendPending(): Promise<void> {
    const db = this.#o.db;
    const epochNow = Math.floor(this.#o.clock.now() / 1000 / COMMUNITY_EPOCH_S);
    db.prepare('DELETE FROM community_reports WHERE sent_at IS NULL AND epoch < ?').run(epochNow - (this.#o.keepEpochs ?? 24));
    const rows = db.prepare('SELECT epoch, report FROM community_reports WHERE sent_at IS NULL ORDER BY epoch').all() as { epoch: number; report: string }[];
    for (const row of rows) {
      if (this.#loop.stopped) return;
      try {
        await this.#o.send(JSON.parse(row.report) as CommunityReport);
      } catch (err) {
        this.#fail(err, 'community report: not delivered; sent again at the next poll');
        return;
      }
      db.prepare('UPDATE community_reports SET sent_at = ? WHERE epoch = ?').run(Date.now(), row.epoch);
      this.#sent++;
    }
  }

  #fail(err: unknown, what: string): void {
    const message = errorText(err, this.#o.secrets);
    if (this.#lastError !== message) this.#log.warn({ err: message }, what);
    this.#lastError = message;
  }
}

/**
 * Delivers reports by POSTing them as JSON to the collector's URL. A 2xx is delivered; a 409
 * (the collector already holds this key image for the epoch: a resend after a lost answer)
 * counts as delivered too; anything else is an error.
 */
export function postCommunityReport(url: string, opts: { timeoutMs?: number } = {}): (report: CommunityReport) => Promise<void> {
  return async (report) => {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new WaymarkError('WAYMARK_ERR_COMMUNITY_COLLECTOR', `community collector ${redactUrl(url)}: ${(err as Error).message}`);
    }
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok || res.status === 409) return;
    throw new WaymarkError('WAYMARK_ERR_COMMUNITY_COLLECTOR', `community collector ${redactUrl(url)} answered HTTP ${res.status}`);
  };
}

export interface StartCommunityReporterOptions {
  /** Wall ms between polls (default 60 s). */
  pollMs?: number;
  /** Where the crowding level's capacity comes from (the capacity watch). */
  capacity: () => number | null;
  /** The daemon's provider for chain.rpcUrl (it stays the daemon's to close). */
  provider: Provider;
}

/**
 * The reporter for the daemon: on when community.reportUrl is set and anchoring is on (the
 * chain, venue and kiosk key are known); the region and its kiosks' keys are read from the
 * registry, the ring again each epoch.
 */
export function startCommunityReporter(kiosk: Kiosk, key: { privateKey: string }, opts: StartCommunityReporterOptions): CommunityReporter | undefined {
  const { chain, community } = kiosk.config;
  if (!community.reportUrl || !chain.registry || !chain.venueId) return undefined;
  const reader = registryClient(opts.provider, chain.registry);
  const venueId = chain.venueId;
  const reporter = new CommunityReporter({
    db: kiosk.database,
    clock: kiosk.clock,
    privateKey: key.privateKey,
    region: async () => (await getVenue(reader, { venueId })).region,
    ring: async (region) => (await communityKeys(reader, { region })).kiosks.map((k) => Uint8Array.from(Buffer.from(k.publicKey.slice(2), 'hex'))),
    occupancy: () => ({ occupancy: kiosk.pipeline.visitsNow, capacity: opts.capacity() }),
    send: postCommunityReport(community.reportUrl),
    minRingSize: community.minRingSize,
    pollMs: opts.pollMs,
    logger: kiosk.log,
    secrets: [...(chain.rpcUrl ? [chain.rpcUrl] : []), community.reportUrl],
  });
  reporter.start();
  return reporter;
}
