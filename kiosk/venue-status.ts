/**
 * The kiosk follows its venue's exposure status in the registry (statusOf and exposureOf,
 * two view calls every poll), so the screen can tell visitors while the venue is Infected.
 * It polls rather than waits for events: the registry evaluates the expiry lazily and emits
 * nothing when it passes, so only a read sees it. A node that does not answer keeps the last
 * known status on show, marked stale; that status is kept in the store's `meta` table, so a
 * restart during an outage still shows it.
 */
import { FetchRequest, JsonRpcProvider, Network } from 'ethers';
import { WaymarkError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import { redactUrl } from '../core/redact.js';
import { registryClient, type RegistryClient } from '../contracts/client.js';
import { statusOf, type VenueStatus } from '../contracts/actions/status-of.js';
import { exposureOf } from '../contracts/actions/exposure-of.js';
import type { Database } from './store/database.js';
import { probeChainId } from './batcher/outbox-chain.js';
import type { Kiosk } from './kiosk.js';
import { PollLoop, errorText } from './poll-loop.js';

/** One read of the registry; times in Unix seconds, 0 = none. */
export interface VenueStatusReading {
  state: VenueStatus;
  fromTime: number;
  toTime: number;
  infectedUntil: number;
  cleanedAt: number;
}

/** Where readings come from: the registry on a JSON-RPC node, or a test's stand-in. */
export interface VenueStatusSource {
  read(): Promise<VenueStatusReading>;
  close(): Promise<void>;
}

/** `venue.status` in GET /v1/status; times in Unix seconds. */
export interface VenueStatusView {
  /** null until the first answer (or a stored one) is known. */
  state: VenueStatus | null;
  /** The latest reported exposure window, null if none ever was (it stays after cleaning). */
  exposure: { from: number; to: number } | null;
  /** While Infected: when the venue turns Clean by itself. */
  until: number | null;
  /** When the operator last marked the venue cleaned. */
  cleanedAt: number | null;
  /** Kiosk clock time of the last answer from the chain. */
  checkedAt: number | null;
  /** The last poll failed (or none succeeded yet): what is shown is the last known status. */
  stale: boolean;
  lastError: string | null;
}

export interface VenueStatusFollowerOptions {
  source: VenueStatusSource;
  clock: Clock;
  /** Wall ms between polls (default 15 s). */
  pollMs?: number;
  logger?: Logger;
  /** Keep the last known status in this store's meta table under `metaKey`. */
  store?: { db: Database; metaKey: string };
  /** For log lines. */
  venueId?: number;
  /** Strings lastError must not show (the RPC URL: providers put API keys in it). */
  secrets?: readonly string[];
}

export const DEFAULT_VENUE_STATUS_POLL_MS = 15_000;
const STORE_EVERY_S = 600;

interface Known extends VenueStatusReading {
  checkedAt: number;
}

export class VenueStatusFollower {
  readonly #loop: PollLoop;
  readonly #source: VenueStatusSource;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #store: VenueStatusFollowerOptions['store'];
  readonly #venueId: number | undefined;
  readonly #secrets: readonly string[];
  readonly #listeners = new Set<(view: VenueStatusView) => void>();
  #known: Known | undefined;
  /** The known status came from the store and was not confirmed by the chain since. */
  #fromStore = false;
  #lastError: string | null = null;
  /** What is in the store (written on a change, else at most every STORE_EVERY_S: spare the SD card). */
  #stored: Known | undefined;

  constructor(opts: VenueStatusFollowerOptions) {
    this.#source = opts.source;
    this.#clock = opts.clock;
    this.#log = opts.logger ?? silentLogger;
    this.#store = opts.store;
    this.#venueId = opts.venueId;
    this.#secrets = opts.secrets ?? [];
    this.#loop = new PollLoop(() => this.#poll(), opts.pollMs ?? DEFAULT_VENUE_STATUS_POLL_MS);
    this.#known = this.#stored = this.#load();
  }

  get pollMs(): number {
    return this.#loop.pollMs;
  }

  /** Polls now and then every pollMs until stopped. */
  start(): void {
    this.#loop.start();
  }

  /** Reads the registry now (joining a poll already under way) and returns the result. */
  async refresh(): Promise<VenueStatusView> {
    await this.#loop.run();
    return this.status();
  }

  status(): VenueStatusView {
    const k = this.#known;
    const stale = this.#lastError !== null || this.#fromStore;
    if (!k) return { state: null, exposure: null, until: null, cleanedAt: null, checkedAt: null, stale: true, lastError: this.#lastError };
    let state = k.state;
    // what the registry would answer by now, when it cannot be asked: an exposure lapses by itself
    if (stale && state === 'Infected' && k.infectedUntil <= this.#clock.now() / 1000) state = 'Clean';
    return {
      state,
      exposure: k.toTime !== 0 ? { from: k.fromTime, to: k.toTime } : null,
      until: state === 'Infected' && k.infectedUntil !== 0 ? k.infectedUntil : null,
      cleanedAt: k.cleanedAt !== 0 ? k.cleanedAt : null,
      checkedAt: k.checkedAt,
      stale,
      lastError: this.#lastError,
    };
  }

  /** Called with the new view whenever the state, window, expiry, cleaning or staleness changes. */
  onChange(listener: (view: VenueStatusView) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async stop(): Promise<void> {
    if (await this.#loop.stop()) await this.#source.close();
  }

  async #poll(): Promise<void> {
    if (this.#loop.stopped) return;
    const before = this.status();
    try {
      const reading = await this.#source.read();
      if (this.#loop.stopped) return;
      this.#known = { ...reading, checkedAt: Math.floor(this.#clock.now() / 1000) };
      this.#fromStore = false;
      if (this.#lastError !== null) this.#log.info({ venueId: this.#venueId }, 'venue status: chain answering again');
      this.#lastError = null;
      this.#save();
    } catch (err) {
      const message = errorText(err, this.#secrets);
      if (this.#lastError === null) {
        this.#log.warn({ venueId: this.#venueId, err: message }, 'venue status: chain not answering; showing the last known status, marked stale');
      }
      this.#lastError = message;
    }
    const after = this.status();
    if (before.state !== after.state || before.until !== after.until) {
      this.#log.info({ venueId: this.#venueId, state: after.state, exposure: after.exposure, until: after.until }, 'venue status');
    }
    if (changed(before, after)) {
      for (const listener of this.#listeners) {
        try {
          listener(after);
        } catch (err) {
          this.#log.error({ err }, 'venue status listener failed');
        }
      }
    }
  }

  #load(): Known | undefined {
    if (!this.#store) return undefined;
    try {
      const row = this.#store.db.prepare('SELECT value FROM meta WHERE key = ?').get(this.#store.metaKey) as { value: string } | undefined;
      if (!row) return undefined;
      const known = JSON.parse(row.value) as Known;
      this.#fromStore = true;
      return known;
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'venue status: stored status unreadable; ignored');
      return undefined;
    }
  }

  #save(): void {
    const known = this.#known;
    if (!this.#store || !known) return;
    const s = this.#stored;
    const same = s && s.state === known.state && s.fromTime === known.fromTime && s.toTime === known.toTime
      && s.infectedUntil === known.infectedUntil && s.cleanedAt === known.cleanedAt;
    if (same && known.checkedAt - s.checkedAt < STORE_EVERY_S) return;
    try {
      this.#store.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
        .run(this.#store.metaKey, JSON.stringify(known));
      this.#stored = known;
    } catch (err) {
      this.#log.error({ err }, 'venue status: could not store the last known status');
    }
  }
}

function changed(a: VenueStatusView, b: VenueStatusView): boolean {
  return a.state !== b.state || a.until !== b.until || a.cleanedAt !== b.cleanedAt || a.stale !== b.stale
    || a.exposure?.from !== b.exposure?.from || a.exposure?.to !== b.exposure?.to;
}

export interface ChainVenueStatusSourceOptions {
  rpcUrl: string;
  registry: string;
  venueId: number;
  /** Refuse any other chain. */
  chainId?: number;
  /** Per JSON-RPC request, ms (default 10 s). */
  requestTimeoutMs?: number;
}

/**
 * The registry on a JSON-RPC node. It connects on first use and again after any failure
 * (eth_chainId over plain fetch first, so a dead node fails fast and ethers never retries
 * its network detection in the background).
 */
export function chainVenueStatusSource(opts: ChainVenueStatusSourceOptions): VenueStatusSource {
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  let conn: { provider: JsonRpcProvider; client: RegistryClient } | undefined;

  async function connect() {
    if (conn) return conn;
    const id = await probeChainId(opts.rpcUrl, timeoutMs);
    if (opts.chainId !== undefined && id !== BigInt(opts.chainId)) {
      throw new WaymarkError('WAYMARK_ERR_CONFIG_INVALID', `chain.chainId is ${opts.chainId} but the node at ${redactUrl(opts.rpcUrl)} is chain ${id}`);
    }
    const req = new FetchRequest(opts.rpcUrl);
    req.timeout = timeoutMs;
    const provider = new JsonRpcProvider(req, Network.from(id), { staticNetwork: true, cacheTimeout: -1 });
    conn = { provider, client: registryClient(provider, opts.registry) };
    return conn;
  }

  return {
    async read() {
      const { client } = await connect();
      try {
        // one JSON-RPC batch: ethers sends calls made in the same tick together
        const [state, e] = await Promise.all([statusOf(client, { venueId: opts.venueId }), exposureOf(client, { venueId: opts.venueId })]);
        return { state, fromTime: Number(e.fromTime), toTime: Number(e.toTime), infectedUntil: Number(e.infectedUntil), cleanedAt: Number(e.cleanedAt) };
      } catch (err) {
        conn?.provider.destroy();
        conn = undefined;
        throw err;
      }
    },
    async close() {
      conn?.provider.destroy();
      conn = undefined;
    },
  };
}

export interface StartVenueStatusOptions {
  /** Wall ms between polls (default 15 s). */
  pollMs?: number;
  /** Instead of the registry on chain.rpcUrl (tests). */
  source?: VenueStatusSource;
}

/**
 * The follower for the daemon: on when chain.rpcUrl, chain.registry and chain.venueId are
 * set (no key needed: it only reads), started; otherwise undefined.
 */
export function startVenueStatus(kiosk: Kiosk, opts: StartVenueStatusOptions = {}): VenueStatusFollower | undefined {
  const { rpcUrl, registry, venueId, chainId } = kiosk.config.chain;
  if (!opts.source && (!rpcUrl || !registry || !venueId)) {
    kiosk.log.info('venue status is off (it needs chain.rpcUrl, chain.registry and chain.venueId)');
    return undefined;
  }
  const follower = new VenueStatusFollower({
    source: opts.source ?? chainVenueStatusSource({ rpcUrl: rpcUrl!, registry: registry!, venueId: venueId!, chainId }),
    clock: kiosk.clock,
    pollMs: opts.pollMs,
    logger: kiosk.log,
    // per registry and venue: a reconfigured kiosk does not show another venue's status
    store: { db: kiosk.database, metaKey: `venue-status:${String(registry).toLowerCase()}:${venueId}` },
    venueId,
    secrets: rpcUrl ? [rpcUrl] : [],
  });
  follower.start();
  return follower;
}
