/**
 * The kiosk configuration: one JSON file, validated with a schema at start-up. Every
 * bad field is named in one WAYMARK_ERR_CONFIG_INVALID error; host paths can be
 * overridden from the environment (see core/paths.ts).
 */
import { readFileSync, existsSync } from 'node:fs';
import { z } from 'zod';
import { WaymarkError } from './errors.js';
import { ENV, DEFAULT_PATHS } from './paths.js';

const GEOHASH9 = /^[0123456789bcdefghjkmnpqrstuvwxyz]{9}$/;

const emaFilter = z.object({
  kind: z.literal('ema'),
  /** Time constant tau of the first-order low-pass filter, seconds. */
  timeConstantS: z.number().positive().max(600).default(4),
}).strict();

const kalmanFilter = z.object({
  kind: z.literal('kalman'),
  /** Process noise: variance growth of the true RSSI, dB^2 per second. */
  processNoise: z.number().positive().max(1000).default(0.5),
  /** Measurement noise: variance of one RSSI sample, dB^2 (shadowing sigma squared). */
  measurementNoise: z.number().positive().max(10000).default(16),
}).strict();

export const configSchema = z.object({
  venue: z.object({
    name: z.string().min(1).max(80).default('Waymark venue'),
    geohash: z.string().regex(GEOHASH9, 'must be a 9-character geohash (base32: 0-9, b-z without a, i, l, o)').default('u4pruydqq'),
  }).strict().prefault({}),
  dataDir: z.string().min(1).default(DEFAULT_PATHS.dataDir),
  radio: z.object({
    adapter: z.enum(['hci', 'serial', 'virtual']).default('hci'),
    hciDevice: z.number().int().min(0).max(63).default(0),
    serialPort: z.string().min(1).default(DEFAULT_PATHS.serialPort),
    baudRate: z.number().int().positive().default(1_000_000),
  }).strict().prefault({}),
  sightings: z.object({
    filter: z.discriminatedUnion('kind', [emaFilter, kalmanFilter]).prefault({ kind: 'ema' }),
    /** A session closes when its address has not been heard for this long, seconds. */
    sessionGapS: z.number().positive().max(3600).default(15),
    /** Filtered RSSI at or above which a device counts as inside the venue, dBm. */
    insideRssiDbm: z.number().min(-127).max(20).default(-85),
    /** Address kinds that count as visitors' devices for occupancy. */
    visitorKinds: z.array(z.enum(['public', 'static', 'resolvable', 'non-resolvable'])).min(1)
      .default(['resolvable', 'non-resolvable']),
    /** Occupancy is sampled into the store at this interval, seconds. */
    occupancySampleS: z.number().int().min(1).max(3600).default(60),
    /**
     * Visits: a rotated address is linked, in memory only, to the session it continues
     * (docs/OPERATIONS.md, "Visits"). Off: every address is its own visit.
     */
    visits: z.object({
      enabled: z.boolean().default(true),
      /** A new address continues one that went silent at most this long before it appeared, seconds. */
      linkGapS: z.number().positive().max(120).default(10),
      /** Largest step of filtered RSSI between the old address's last level and the new one's first, dB. */
      rssiJumpDb: z.number().positive().max(60).default(10),
      /** Shorter visits (or ones never at insideRssiDbm) are people passing by, seconds. */
      minVisitS: z.number().min(0).max(3600).default(60),
      /** Longer visits are the venue's own devices and fixed beacons, not visitors, hours. */
      maxVisitH: z.number().positive().max(168).default(6),
    }).strict().prefault({}),
  }).strict().prefault({}),
  retention: z.object({
    days: z.number().positive().max(3650).default(14),
    sweepIntervalS: z.number().int().min(1).max(86400).default(3600),
  }).strict().prefault({}),
  store: z.object({
    /** Writes are batched and committed at this interval (one fsync at most), ms. */
    flushIntervalMs: z.number().int().min(10).max(60000).default(1000),
  }).strict().prefault({}),
  http: z.object({
    host: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(8080),
    /**
     * File (0600) holding the operator token: operator routes (status, metrics, batches,
     * occupancy) answer other machines only with `Authorization: Bearer <token>`. Without
     * it they answer on loopback only.
     */
    operatorTokenFile: z.string().min(1).optional(),
  }).strict().prefault({}),
  chain: z.object({
    /** JSON-RPC URL of the EVM node; absent = no anchoring. */
    rpcUrl: z.string().url().optional(),
    /** Expected chain id; the kiosk refuses to send to another chain. */
    chainId: z.number().int().positive().optional(),
    /** Address of the WaymarkRegistry contract. */
    registry: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address').optional(),
    /** The venue id this kiosk commits for (registry's uint64 venue id). */
    venueId: z.number().int().positive().optional(),
    /** The kiosk key: an encrypted JSON keystore or a 0600 hex file; default <dataDir>/kiosk-key.json. */
    keyFile: z.string().min(1).optional(),
    /** File holding the keystore passphrase (else $WAYMARK_KEY_PASSPHRASE). */
    passphraseFile: z.string().min(1).optional(),
    /** Blocks a commit must be buried under before it counts as confirmed. */
    confirmations: z.number().int().min(0).max(100).default(2),
    /** Highest max fee per gas the kiosk will pay, gwei. */
    maxFeeGwei: z.number().positive().max(100000).default(200),
  }).strict().prefault({}),
  beacon: z.object({
    /** Broadcast the signed positioning beacon (needs a radio that can advertise). */
    enabled: z.boolean().default(true),
    /** Advertising interval, ms. */
    intervalMs: z.number().int().min(20).max(10240).default(100),
    /** Epoch length: a new frame is signed this often, seconds. */
    periodS: z.number().int().min(1).max(255).default(30),
    /** Calibrated RSSI at 1 m carried in the frame, dBm. */
    txPowerDbm: z.number().int().min(-127).max(20).default(-59),
    /** The kiosk's Ed25519 beacon key (hex file, 0600); default <dataDir>/beacon-key.hex, created on first start. */
    keyFile: z.string().min(1).optional(),
  }).strict().prefault({}),
  batch: z.object({
    /** A batch closes when it has this many records... */
    maxRecords: z.number().int().min(1).max(100000).default(1000),
    /** ...or when its oldest record is this old, seconds. */
    maxAgeS: z.number().int().min(1).max(86400).default(300),
  }).strict().prefault({}),
  checkin: z.object({
    /** A BLE tap counts only at or above this filtered link RSSI, dBm (a phone held to the kiosk). */
    tapThresholdDbm: z.number().min(-127).max(20).default(-45),
    /** The QR code shows a new token every this many seconds. */
    tokenPeriodS: z.number().int().min(5).max(30).default(20),
    /** A token is accepted this long after it was issued, seconds (at least tokenPeriodS). */
    tokenValidityS: z.number().int().min(5).max(600).default(60),
    /** Base URL phones reach the kiosk at, encoded in the QR code (the request's Host header is never used). Without it the screen shows no QR; BLE taps still work. */
    publicUrl: z.string().url().optional(),
    /**
     * The visitor wallet (docs/WALLET.md): with it the QR code opens `<walletUrl>#kiosk=<publicUrl>&token=…`
     * instead of the kiosk's /checkin page, and the wallet's origin may call the public check-in
     * and proof routes (CORS). E.g. the region's wallet, or one kiosk's `https://…/wallet/`.
     */
    walletUrl: z.string().url().refine((u) => /^https?:/.test(u), 'must be an http(s) URL').optional(),
    /** More origins whose wallets may check in here (CORS), e.g. `https://wallet.example.org`. */
    walletOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be an origin: scheme://host[:port], no path')).max(16).default([]),
    /** The clock counts as synced when the chain's latest block time agrees within this, seconds. */
    chainClockToleranceS: z.number().positive().max(3600).default(30),
    /** Per client IP: check-ins (POST /v1/checkins) and token reads (GET /v1/checkin-token) per minute. */
    rateLimit: z.object({
      checkinsPerMinute: z.number().int().min(1).max(1_000_000).default(20),
      tokenReadsPerMinute: z.number().int().min(1).max(1_000_000).default(120),
    }).strict().prefault({}),
  }).strict()
    .refine((c) => c.tokenValidityS >= c.tokenPeriodS, { message: 'must be at least tokenPeriodS', path: ['tokenValidityS'] })
    .prefault({}),
  /** Anonymous community reports (docs/OPERATIONS.md, "Community reports"). */
  community: z.object({
    /** The region authority's collector (`waymark authority community-collect`): one ring-signed report an hour goes there. Unset: none. */
    reportUrl: z.string().url().refine((u) => /^https?:/.test(u), 'must be an http(s) URL').optional(),
    /** Smallest ring the kiosk signs over: with fewer kiosk keys in its region it reports nothing (a small ring says who). */
    minRingSize: z.number().int().min(2).max(100_000).default(3),
  }).strict().prefault({}),
}).strict();

export type KioskConfig = z.infer<typeof configSchema>;
export type KioskConfigInput = z.input<typeof configSchema>;

/** Validate a parsed config object; throws WAYMARK_ERR_CONFIG_INVALID naming every bad field. */
export function parseConfig(input: unknown, env: NodeJS.ProcessEnv = {}): KioskConfig {
  const merged = applyEnv(input, env);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new WaymarkError('WAYMARK_ERR_CONFIG_INVALID', problems.join('; '), {
      details: { fields: result.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) },
    });
  }
  return result.data;
}

/** Read, parse and validate a config file. */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): KioskConfig {
  if (!existsSync(path)) throw new WaymarkError('WAYMARK_ERR_CONFIG_NOT_FOUND', path);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_CONFIG_INVALID', `${path} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return parseConfig(raw, env);
}

function applyEnv(input: unknown, env: NodeJS.ProcessEnv): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const cfg = structuredClone(input) as Record<string, any>;
  const section = (name: string) => {
    if (cfg[name] === undefined) cfg[name] = {};
    // a section that is not an object (`"http": 0`) is left as it is, for the schema to refuse by name
    return cfg[name] !== null && typeof cfg[name] === 'object' ? cfg[name] : {};
  };
  if (env[ENV.DATA_DIR]) cfg.dataDir = env[ENV.DATA_DIR];
  if (env[ENV.SERIAL_PORT]) section('radio').serialPort = env[ENV.SERIAL_PORT];
  if (env[ENV.HCI_DEVICE]) section('radio').hciDevice = numberOrText(env[ENV.HCI_DEVICE]!);
  if (env[ENV.HTTP_PORT]) section('http').port = numberOrText(env[ENV.HTTP_PORT]!);
  if (env[ENV.RPC_URL]) section('chain').rpcUrl = env[ENV.RPC_URL];
  return cfg;
}

function numberOrText(text: string): number | string {
  return /^\d+$/.test(text) ? Number(text) : text;
}
