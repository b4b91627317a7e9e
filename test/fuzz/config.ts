/**
 * Fuzz properties of the config loader (core/config.ts): parseConfig on arbitrary JSON values,
 * on schema-shaped objects with arbitrary leaves and environment overrides, and loadConfig on
 * arbitrary file text. A config either loads (and loads again to the same thing) or is refused
 * with WAYMARK_ERR_CONFIG_INVALID.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadConfig, parseConfig } from '../../core/config.js';
import { ENV } from '../../core/paths.js';
import { parseOrRefuse, type FuzzProperty } from './harness.js';

const INVALID = ['WAYMARK_ERR_CONFIG_INVALID'] as const;

const int = (min: number, max: number) => fc.integer({ min, max });
const positive = (max: number) => fc.oneof(fc.double({ min: Number.MIN_VALUE, max, noNaN: true }), fc.integer({ min: 1, max: Math.floor(max) }));
const text = (maxLength = 20) => fc.string({ minLength: 1, maxLength });
const url = fc.oneof(fc.constantFrom('http://127.0.0.1:8545', 'https://kiosk.example/'), fc.webUrl());
const filter = fc.oneof(
  fc.record({ kind: fc.constant('ema'), timeConstantS: positive(600) }, { requiredKeys: ['kind'] }),
  fc.record({ kind: fc.constant('kalman'), processNoise: positive(1000), measurementNoise: positive(10_000) }, { requiredKeys: ['kind'] }),
);

/** The config's sections, each field with an arbitrary of its valid values. */
const SHAPE = {
  venue: { name: text(80), geohash: fc.string({ unit: fc.constantFrom(...'0123456789bcdefghjkmnpqrstuvwxyz'), minLength: 9, maxLength: 9 }) },
  dataDir: text(),
  radio: { adapter: fc.constantFrom('hci', 'serial', 'virtual'), hciDevice: int(0, 63), serialPort: text(), baudRate: int(1, 4_000_000) },
  sightings: {
    filter, sessionGapS: positive(3600), insideRssiDbm: int(-127, 20),
    visitorKinds: fc.uniqueArray(fc.constantFrom('public', 'static', 'resolvable', 'non-resolvable'), { minLength: 1 }), occupancySampleS: int(1, 3600),
  },
  retention: { days: positive(3650), sweepIntervalS: int(1, 86_400) },
  store: { flushIntervalMs: int(10, 60_000) },
  http: { host: text(), port: int(0, 65_535), operatorTokenFile: text() },
  chain: {
    rpcUrl: url, chainId: int(1, 2 ** 40), registry: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => '0x' + Buffer.from(b).toString('hex')),
    venueId: int(1, 2 ** 40), keyFile: text(), passphraseFile: text(), confirmations: int(0, 100), maxFeeGwei: positive(100_000),
  },
  beacon: { enabled: fc.boolean(), intervalMs: int(20, 10_240), periodS: int(1, 255), txPowerDbm: int(-127, 20), keyFile: text() },
  batch: { maxRecords: int(1, 100_000), maxAgeS: int(1, 86_400) },
  checkin: {
    tapThresholdDbm: int(-127, 20), tokenPeriodS: int(5, 30), tokenValidityS: int(5, 600), publicUrl: url, chainClockToleranceS: positive(3600),
    walletUrl: url, walletOrigins: fc.array(fc.webUrl().map((u) => new URL(u).origin), { maxLength: 3 }),
    rateLimit: { checkinsPerMinute: int(1, 1_000_000), tokenReadsPerMinute: int(1, 1_000_000) },
  },
};
type Shape = { readonly [key: string]: Shape | fc.Arbitrary<unknown> };

/** A valid config: every section and field optional. */
function validArb(shape: Shape): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, sub] of Object.entries(shape)) model[key] = sub instanceof fc.Arbitrary ? sub : validArb(sub as Shape);
  return fc.record(model, { requiredKeys: [] });
}

/** Every section and field path, where damage can be done. */
function paths(shape: Shape, prefix: string[] = []): string[][] {
  return Object.entries(shape).flatMap(([key, sub]) => [[...prefix, key], ...(sub instanceof fc.Arbitrary ? [] : paths(sub as Shape, [...prefix, key]))]);
}
const PATHS = paths(SHAPE);

/** Values a field could wrongly hold. */
const leafArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.oneof(fc.integer({ min: -130, max: 70_000 }), fc.constantFrom(0, -1, 0.5, 1e21, 2 ** 53, -0)),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom('hci', 'ema', 'kalman', 'u4pruydqa', 'not a url', 'javascript:alert(1)', '0x1234', '', '12', 'true'),
  fc.string({ maxLength: 20 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.constantFrom('public', 'reserved', 3), { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 2 }),
);

const oddKeys = fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'extra', '');

/** Valid configs with up to three fields or sections damaged (wrong values, unknown and odd keys). */
export const configObjectArb: fc.Arbitrary<Record<string, unknown>> = fc.tuple(
  validArb(SHAPE),
  fc.array(fc.record({ path: fc.nat({ max: PATHS.length - 1 }), value: leafArb, odd: fc.option(oddKeys, { freq: 4 }) }), { maxLength: 3 }),
).map(([valid, damage]) => {
  const cfg = JSON.parse(JSON.stringify(valid)) as Record<string, any>;
  for (const { path, value, odd } of damage) {
    const keys = odd === null ? PATHS[path] : [...PATHS[path].slice(0, -1), odd];
    let at: any = cfg;
    for (const k of keys.slice(0, -1)) {
      if (at[k] === undefined) at[k] = {};
      at = at[k];
      if (at === null || typeof at !== 'object') break;
    }
    if (at !== null && typeof at === 'object') Object.defineProperty(at, keys[keys.length - 1], { value, enumerable: true, configurable: true, writable: true });
  }
  return cfg;
});

const envArb: fc.Arbitrary<Record<string, string>> = fc.record({
  [ENV.DATA_DIR]: fc.constantFrom('/tmp/w', '', 'x'),
  [ENV.SERIAL_PORT]: fc.constantFrom('/dev/ttyACM1', ''),
  [ENV.HCI_DEVICE]: fc.oneof(fc.constantFrom('0', '1', '63', '64', '-1', 'hci0', '1e3', ''), fc.string({ maxLength: 4 })),
  [ENV.HTTP_PORT]: fc.oneof(fc.constantFrom('8080', '0', '65536', '99999999999999999999', 'http'), fc.string({ maxLength: 6 })),
  [ENV.RPC_URL]: fc.constantFrom('http://127.0.0.1:8545', 'nope', ''),
}, { requiredKeys: [] });

/** A parsed config is plain JSON data and parses again, without the environment, to itself. */
function checkStable(config: unknown): void {
  const text = JSON.stringify(config);
  assert.deepEqual(parseConfig(JSON.parse(text), {}), JSON.parse(text));
}

const arbitraryJson: FuzzProperty = {
  name: 'config: parseConfig on arbitrary JSON values loads or throws WAYMARK_ERR_CONFIG_INVALID',
  runs: 20_000,
  build: () => ({
    property: fc.property(fc.jsonValue({ maxDepth: 4 }), envArb, (value, env) => {
      const r = parseOrRefuse('parseConfig', INVALID, () => parseConfig(value, env));
      if (r.ok) checkStable(r.value);
      else assert.ok(Array.isArray(r.error.details?.fields) && (r.error.details!.fields as unknown[]).length > 0, 'names the bad fields');
    }),
  }),
};

const shaped: FuzzProperty = {
  name: 'config: parseConfig on schema-shaped objects with arbitrary leaves and env overrides',
  runs: 8_000,
  build: () => ({
    property: fc.property(configObjectArb, envArb, (value, env) => {
      const before = JSON.stringify(value);
      const r = parseOrRefuse('parseConfig', INVALID, () => parseConfig(value, env));
      assert.equal(JSON.stringify(value), before, 'the input is not modified');
      if (r.ok) checkStable(r.value);
    }),
  }),
};

const fileText = fc.oneof(
  { weight: 2, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: configObjectArb.map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.tuple(configObjectArb, fc.nat()).map(([o, n]) => { const s = JSON.stringify(o); return s.slice(0, n % (s.length + 1)); }) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => '\ufeff' + JSON.stringify(v)) },
);

const load: FuzzProperty = {
  name: 'config: loadConfig on arbitrary file text loads or throws WAYMARK_ERR_CONFIG_INVALID',
  runs: 2_500,
  build: () => {
    const dir = mkdtempSync(join(tmpdir(), 'waymark-fuzz-config-'));
    const path = join(dir, 'config.json');
    return {
      property: fc.property(fileText, (text) => {
        writeFileSync(path, text);
        const r = parseOrRefuse('loadConfig', INVALID, () => loadConfig(path, {}));
        if (r.ok) {
          checkStable(r.value);
          writeFileSync(path, JSON.stringify(r.value));
          assert.deepEqual(loadConfig(path, {}), r.value, 'a loaded config saved as JSON loads to itself');
        }
      }),
      close: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

export const configProperties: FuzzProperty[] = [arbitraryJson, shaped, load];
