/**
 * `provision bulk`: provisions many kiosks from a CSV sheet, one row per kiosk (rows with
 * the same venue name and cell share one venue). Every step is idempotent and each done
 * row is recorded in a state file, so a re-run skips what is done and retries what failed;
 * a bad row is reported and the others still go through.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { isAbsolute, resolve, join } from 'node:path';
import type { BaseWallet } from 'ethers';
import { WaymarkError, isWaymarkError } from '../core/errors.js';
import type { ChainSession } from './chain-access.js';
import { parseCsv, type CsvRow } from './csv.js';
import { ProgressBar, type ProgressSink } from './progress.js';
import { geohashOf, parseVenueDescription, regionSignerFor, registerVenueAt } from './venue.js';
import { initKiosk } from './init.js';
import { existingKeyFile, kioskFiles } from '../core/data-dir.js';
import { keyFileAddress } from '../contracts/kiosk-key.js';
import { authorizeKioskWithCertificate, parseEthAmount } from './authorize.js';
import { writeKioskConfig } from './config-file.js';

export const BULK_REQUIRED_COLUMNS = ['venue', 'lat', 'lon', 'data_dir'];
export const BULK_COLUMNS = [...BULK_REQUIRED_COLUMNS, 'capacity', 'venue_id', 'device_data_dir', 'radio', 'http_port', 'public_url', 'fund'];

export interface BulkParameters {
  csvPath: string;
  /** Default `<csv>.state.json`. */
  statePath?: string;
  /** Relative data dirs in the sheet are taken from here (default: the CSV's folder). */
  baseDir?: string;
  /** Signs venue registrations in the cells it is region authority above; the operator's key signs the others. */
  authorityKey?: BaseWallet;
  /** Plain 0600 hex keys instead of keystores. */
  plainKeys?: boolean;
  /** The passphrase for every new kiosk keystore. */
  passphrase?: string;
  /** Default gas money per kiosk, ETH (a `fund` column overrides it). */
  fundEth?: string;
  validDays?: number;
  /** Where the progress bar goes (drawn only on a TTY). */
  progress?: ProgressSink;
}

export interface BulkRowOutcome {
  line: number;
  venue: string;
  status: 'done' | 'skipped' | 'failed';
  venueId?: string;
  kiosk?: string;
  config?: string;
  error?: { code: string; message: string };
}

export interface BulkReport {
  csv: string;
  state: string;
  total: number;
  done: number;
  skipped: number;
  failed: number;
  rows: BulkRowOutcome[];
}

interface BulkState {
  version: 1;
  registry: string;
  chainId: number;
  /** `name|geohash` -> venue id registered by an earlier row or run. */
  venues: Record<string, string>;
  /** row key -> what was done. */
  rows: Record<string, { line: number; venueId: string; kiosk: string; config: string; at: string }>;
}

function rowKey(row: CsvRow): string {
  const canonical = BULK_COLUMNS.map((c) => `${c}=${row.values[c] ?? ''}`).join('\n');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

function loadState(path: string, chain: ChainSession): BulkState {
  if (!existsSync(path)) return { version: 1, registry: chain.registry, chainId: chain.chainId, venues: {}, rows: {} };
  let state: BulkState;
  try {
    state = JSON.parse(readFileSync(path, 'utf8')) as BulkState;
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_FILE_FORMAT', `state file ${path} is not JSON (${(err as Error).message}); move it aside to start over`, { cause: err });
  }
  if (state.registry !== chain.registry || state.chainId !== chain.chainId) {
    throw new WaymarkError('WAYMARK_ERR_USAGE', `state file ${path} belongs to registry ${state.registry} on chain ${state.chainId}, not ${chain.registry} on chain ${chain.chainId}; pass another --state`);
  }
  return state;
}

function saveState(path: string, state: BulkState): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
}

export async function runBulk(chain: ChainSession, operatorKey: BaseWallet, params: BulkParameters): Promise<BulkReport> {
  if (!existsSync(params.csvPath)) throw new WaymarkError('WAYMARK_ERR_USAGE', `no such CSV file: ${params.csvPath}`, { details: { field: 'csv' } });
  if (!params.plainKeys && !params.passphrase) throw new WaymarkError('WAYMARK_ERR_USAGE', 'bulk needs a keystore passphrase (or --plain-key)');
  if (params.fundEth !== undefined) parseEthAmount(params.fundEth);
  const table = parseCsv(readFileSync(params.csvPath, 'utf8'), { required: BULK_REQUIRED_COLUMNS, known: BULK_COLUMNS });
  const statePath = params.statePath ?? `${params.csvPath}.state.json`;
  const baseDir = params.baseDir ?? resolve(params.csvPath, '..');
  const state = loadState(statePath, chain);
  const signers = params.authorityKey ? [params.authorityKey, operatorKey] : [operatorKey];
  const bar = new ProgressBar(table.rows.length, params.progress);
  const outcomes: BulkRowOutcome[] = [];

  for (const row of table.rows) {
    const v = row.values;
    const key = rowKey(row);
    const outcome: BulkRowOutcome = { line: row.line, venue: v.venue ?? '', status: 'done' };
    bar.update(`line ${row.line}: ${v.venue}`);
    const done = state.rows[key];
    if (done) {
      outcomes.push({ ...outcome, status: 'skipped', venueId: done.venueId, kiosk: done.kiosk, config: done.config });
      bar.tick(v.venue);
      continue;
    }
    try {
      if (v.__extra !== undefined) throw new WaymarkError('WAYMARK_ERR_FILE_FORMAT', `more fields than the header has columns (${v.__extra})`);
      if (!v.data_dir) throw new WaymarkError('WAYMARK_ERR_USAGE', 'data_dir is empty', { details: { field: 'data_dir' } });
      const venue = parseVenueDescription({ name: v.venue, lat: v.lat, lon: v.lon, capacity: v.capacity });
      const geohash = geohashOf(venue);
      const dataDir = isAbsolute(v.data_dir) ? v.data_dir : join(baseDir, v.data_dir);
      const fund = v.fund || params.fundEth;
      if (fund) parseEthAmount(fund);
      let venueId: bigint;
      if (v.venue_id) {
        if (!/^\d+$/.test(v.venue_id)) throw new WaymarkError('WAYMARK_ERR_USAGE', `venue_id must be a whole number, got ${JSON.stringify(v.venue_id)}`, { details: { field: 'venue_id' } });
        venueId = BigInt(v.venue_id);
      } else {
        const venueKey = `${venue.name}|${geohash}`;
        if (state.venues[venueKey]) venueId = BigInt(state.venues[venueKey]);
        else {
          // each cell needs a key that is authority of a region above it (the authority key or the operator's)
          const signer = (await regionSignerFor(chain.reader, geohash, signers)) ?? signers[0];
          venueId = (await registerVenueAt(chain.as(signer), operatorKey.address, venue)).venueId;
          state.venues[venueKey] = venueId.toString();
          saveState(statePath, state);
        }
      }
      const keyFile = existingKeyFile(dataDir);
      const kiosk = keyFile
        ? keyFileAddress(keyFile)
        : (await initKiosk({ dataDir, plain: params.plainKeys, passphrase: params.plainKeys ? undefined : { text: params.passphrase! } })).address;
      await authorizeKioskWithCertificate(chain, operatorKey, { venueId, kiosk, fundEth: fund, validDays: params.validDays, certificateFile: kioskFiles(dataDir).certificate });
      const configPath = join(dataDir, 'config.json');
      writeKioskConfig(configPath, {
        dataDir: v.device_data_dir || dataDir,
        localDataDir: dataDir,
        venueName: venue.name,
        rpcUrl: chain.rpcUrl,
        chainId: chain.chainId,
        registry: chain.registry,
        venueId,
        radio: v.radio || undefined,
        httpPort: v.http_port || undefined,
        publicUrl: v.public_url || undefined,
      }, { force: true });
      state.rows[key] = { line: row.line, venueId: venueId.toString(), kiosk, config: configPath, at: new Date().toISOString() };
      saveState(statePath, state);
      outcomes.push({ ...outcome, venueId: venueId.toString(), kiosk, config: configPath });
    } catch (err) {
      const e = isWaymarkError(err) ? { code: err.code, message: err.message } : { code: 'WAYMARK_ERR_INTERNAL', message: String((err as Error)?.message ?? err) };
      outcomes.push({ ...outcome, status: 'failed', error: e });
    }
    bar.tick(v.venue);
  }
  bar.finish();
  return {
    csv: params.csvPath,
    state: statePath,
    total: outcomes.length,
    done: outcomes.filter((o) => o.status === 'done').length,
    skipped: outcomes.filter((o) => o.status === 'skipped').length,
    failed: outcomes.filter((o) => o.status === 'failed').length,
    rows: outcomes,
  };
}
