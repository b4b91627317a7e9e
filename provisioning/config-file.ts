/**
 * `provision config write` / `config check`: builds a kiosk config from the installer's
 * answers, validates it with the daemon's own schema (core/config.ts) before writing, and
 * checks a written one is complete enough to anchor batches. Every bad field is named.
 */
import { existsSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { WaymarkError, isWaymarkError } from '../core/errors.js';
import { loadConfig, parseConfig, type KioskConfig, type KioskConfigInput } from '../core/config.js';
import { existingKeyFile, kioskFiles, KEYSTORE_FILE, OPERATOR_TOKEN_FILE } from '../core/data-dir.js';
import { ensurePrivateDir } from '../core/private-files.js';
import { randomBytes } from 'node:crypto';
import { readDeviceCertificate } from '../contracts/device-certificate.js';

/** The installer's answers, as given on the command line (strings are converted here). */
export interface KioskConfigAnswers {
  /** The data dir as the kiosk will see it. */
  dataDir: string;
  /** Where that data dir is now, if elsewhere (bulk provisioning into staging folders). */
  localDataDir?: string;
  rpcUrl?: string;
  chainId?: string | number;
  registry?: string;
  venueId?: string | number | bigint;
  venueName?: string;
  geohash?: string;
  keyFile?: string;
  passphraseFile?: string;
  radio?: string;
  hciDevice?: string | number;
  serialPort?: string;
  baudRate?: string | number;
  retentionDays?: string | number;
  tapThresholdDbm?: string | number;
  httpPort?: string | number;
  /** checkin.publicUrl: the URL phones open from the QR code. */
  publicUrl?: string;
}

/** "12" -> 12; anything else stays a string so the schema names the field. */
function num(value: string | number | bigint | undefined): number | string | undefined {
  if (value === undefined || typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
}

function prune<T extends Record<string, unknown>>(obj: T): T {
  for (const k of Object.keys(obj)) if (obj[k] === undefined) delete obj[k];
  return obj;
}

/**
 * The config object to write: only what the installer set (the daemon fills defaults).
 * The key file defaults to the key in the data dir; the geohash to the device certificate's.
 */
export function buildKioskConfig(a: KioskConfigAnswers): KioskConfigInput {
  const local = a.localDataDir ?? a.dataDir;
  const cert = readDeviceCertificate(kioskFiles(local).certificate);
  const foundKey = existingKeyFile(local);
  const cfg: Record<string, unknown> = {
    venue: prune({ name: a.venueName, geohash: a.geohash ?? cert?.certificate.geohash }),
    dataDir: a.dataDir,
    radio: prune({ adapter: a.radio, hciDevice: num(a.hciDevice), serialPort: a.serialPort, baudRate: num(a.baudRate) }),
    retention: prune({ days: num(a.retentionDays) }),
    // operator routes from other machines need this token (written 0600 into the data dir)
    http: prune({ port: num(a.httpPort), operatorTokenFile: join(a.dataDir, OPERATOR_TOKEN_FILE) }),
    chain: prune({
      rpcUrl: a.rpcUrl,
      chainId: num(a.chainId),
      registry: a.registry,
      venueId: num(a.venueId ?? cert?.certificate.venueId),
      keyFile: a.keyFile ?? join(a.dataDir, foundKey ? basename(foundKey) : KEYSTORE_FILE),
      passphraseFile: a.passphraseFile,
    }),
    checkin: prune({ tapThresholdDbm: num(a.tapThresholdDbm), publicUrl: a.publicUrl }),
  };
  for (const k of Object.keys(cfg)) {
    const v = cfg[k];
    if (v && typeof v === 'object' && Object.keys(v).length === 0) delete cfg[k];
  }
  return cfg as KioskConfigInput;
}

/** What a provisioned kiosk needs beyond the schema: where and as whom to anchor. */
export function provisioningGaps(config: KioskConfig, localDataDir?: string): { field: string; message: string }[] {
  const gaps: { field: string; message: string }[] = [];
  if (!config.chain.rpcUrl) gaps.push({ field: 'chain.rpcUrl', message: 'required for a provisioned kiosk (--rpc)' });
  if (!config.chain.registry) gaps.push({ field: 'chain.registry', message: 'required for a provisioned kiosk (--registry)' });
  if (!config.chain.venueId) gaps.push({ field: 'chain.venueId', message: 'required for a provisioned kiosk (--venue)' });
  let keyFile = config.chain.keyFile ?? join(config.dataDir, KEYSTORE_FILE);
  if (localDataDir && keyFile.startsWith(config.dataDir + '/')) keyFile = join(localDataDir, keyFile.slice(config.dataDir.length + 1));
  if (!existsSync(keyFile)) gaps.push({ field: 'chain.keyFile', message: `${keyFile} does not exist (run 'waymark provision init')` });
  if (!localDataDir && config.chain.passphraseFile && !existsSync(config.chain.passphraseFile)) gaps.push({ field: 'chain.passphraseFile', message: `${config.chain.passphraseFile} does not exist` });
  if (config.radio.adapter === 'serial' && !config.radio.serialPort) gaps.push({ field: 'radio.serialPort', message: 'required for the serial adapter' });
  return gaps;
}

function invalid(code: 'WAYMARK_ERR_USAGE' | 'WAYMARK_ERR_CONFIG_INVALID', fields: { field: string; message: string }[]): WaymarkError {
  return new WaymarkError(code, fields.map((f) => `${f.field}: ${f.message}`).join('; '), { details: { fields } });
}

/** Validates (schema and completeness) and writes the config; bad answers are WAYMARK_ERR_USAGE naming every field. */
export function writeKioskConfig(path: string, answers: KioskConfigAnswers, opts: { force?: boolean; env?: NodeJS.ProcessEnv } = {}): { path: string; config: KioskConfig; written: KioskConfigInput } {
  if (existsSync(path) && !opts.force) throw new WaymarkError('WAYMARK_ERR_USAGE', `${path} exists (pass --force to replace it)`, { details: { field: 'config' } });
  const written = buildKioskConfig(answers);
  let config: KioskConfig;
  try {
    // no env overrides here: the file must be valid on its own
    config = parseConfig(written, {});
  } catch (err) {
    if (isWaymarkError(err, 'WAYMARK_ERR_CONFIG_INVALID')) {
      const fields = (err.details?.fields as { field: string; message: string }[]) ?? [{ field: '(config)', message: err.message }];
      // name the missing required answers too, not only the malformed ones
      const chain = (written as { chain?: Record<string, unknown> }).chain ?? {};
      for (const [key, flag] of [['rpcUrl', '--rpc'], ['registry', '--registry'], ['venueId', '--venue']] as const) {
        if (chain[key] === undefined) fields.push({ field: `chain.${key}`, message: `required for a provisioned kiosk (${flag})` });
      }
      throw invalid('WAYMARK_ERR_USAGE', fields);
    }
    throw err;
  }
  const gaps = provisioningGaps(config, answers.localDataDir);
  if (gaps.length) throw invalid('WAYMARK_ERR_USAGE', gaps);
  ensureOperatorToken(join(answers.localDataDir ?? answers.dataDir, OPERATOR_TOKEN_FILE));
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(written, null, 2) + '\n', { mode: 0o640 });
  renameSync(tmp, path);
  return { path, config, written };
}

/** Writes a fresh random operator token (0600) unless the data dir has one. */
function ensureOperatorToken(path: string): void {
  if (existsSync(path)) return;
  ensurePrivateDir(dirname(path));
  writeFileSync(path, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
}

/** Loads and checks a config file; WAYMARK_ERR_CONFIG_INVALID (exit 1) names every bad or missing field. */
export function checkKioskConfig(path: string, env: NodeJS.ProcessEnv): KioskConfig {
  const config = loadConfig(path, env);
  const gaps = provisioningGaps(config);
  if (gaps.length) throw invalid('WAYMARK_ERR_CONFIG_INVALID', gaps);
  return config;
}
