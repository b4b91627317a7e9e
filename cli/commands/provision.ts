/**
 * `waymark provision ...`: the installer's commands that turn a blank Pi into an
 * authorized kiosk. Each command parses flags and prints (human text or `--json`); the
 * work is in provisioning/, one file per command.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getAddress, parseEther } from 'ethers';
import type { CliCommand, CliIO, CliOptions, CliValues } from '../command.js';
import { booleanFlag, positiveNumberFlag, stringFlag, usage } from '../flags.js';
import { WaymarkError, isWaymarkError } from '../../core/errors.js';
import { loadConfig, type KioskConfig } from '../../core/config.js';
import { ENV, DEFAULT_PATHS } from '../../core/paths.js';
import { assertAddress } from '../../contracts/validate.js';
import { openChain, readOperatorKey, resolveChainTarget, type ChainSession } from '../../provisioning/chain-access.js';
import { initKiosk } from '../../provisioning/init.js';
import { kioskFiles } from '../../core/data-dir.js';
import { geohashOf, parseVenueDescription, regionSignerFor, registerVenueAt } from '../../provisioning/venue.js';
import { authorizeKioskWithCertificate, DEFAULT_CERTIFICATE_DAYS } from '../../provisioning/authorize.js';
import { checkKioskConfig, writeKioskConfig } from '../../provisioning/config-file.js';
import { probeRadio } from '../radio.js';
import { runDoctor, formatCheck } from '../../provisioning/doctor.js';
import { DOCTOR_CHECKS } from '../../provisioning/doctor-checks.js';
import { installedExec, installService, SERVICE_DEFAULTS } from '../../provisioning/service.js';
import { runBulk, BULK_COLUMNS, BULK_REQUIRED_COLUMNS } from '../../provisioning/bulk.js';
import { rotateKioskKey } from '../../provisioning/rotate-key.js';
import { decommissionKiosk } from '../../provisioning/decommission.js';
import { readDeviceCertificate } from '../../contracts/device-certificate.js';
import { resolvePassphrase, MIN_PASSPHRASE_LENGTH, type PassphraseSource } from '../../provisioning/keys.js';

const EXIT_CODES = 'Exit codes: 0 ok, 1 a check or operation failed, 2 bad usage or input. See docs/PROVISIONING.md.';

const json = { json: { type: 'boolean', description: 'print one JSON object on stdout instead of text' } } satisfies CliOptions;
const chainOptions = {
  rpc: { type: 'string', description: `JSON-RPC URL of the chain (default: the --config's chain.rpcUrl, else $${ENV.RPC_URL})` },
  registry: { type: 'string', description: "WaymarkRegistry address (default: the --config's chain.registry)" },
  config: { type: 'string', description: 'a kiosk config to take the chain settings from' },
} satisfies CliOptions;
const operatorOptions = {
  'operator-key': { type: 'string', description: "the venue operator's key FILE: a JSON keystore or a 0600 hex key" },
  'operator-passphrase-file': { type: 'string', description: `passphrase of the operator keystore (else $${ENV.OPERATOR_KEY_PASSPHRASE}, else asked on the terminal)` },
} satisfies CliOptions;
const kioskPassphrase = {
  'passphrase-file': { type: 'string', description: `passphrase of the kiosk keystore (else $${ENV.KEY_PASSPHRASE}, else asked on the terminal)` },
} satisfies CliOptions;

function path(io: CliIO, p: string | undefined): string | undefined {
  return p === undefined ? undefined : resolve(io.cwd, p);
}

function venueIdOf(text: string, field = 'venue'): bigint {
  if (!/^\d+$/.test(text) || BigInt(text) === 0n || BigInt(text) >= 2n ** 64n) usage(`--${field} must be a venue id (a whole number from 1), got '${text}'`, field);
  return BigInt(text);
}

function kioskPassphraseSource(values: CliValues, io: CliIO): PassphraseSource {
  return { file: path(io, stringFlag(values, 'passphrase-file')), env: io.env, envName: ENV.KEY_PASSPHRASE, label: 'kiosk keystore' };
}

function dataDirOf(values: CliValues, io: CliIO, config?: KioskConfig): string {
  const dir = stringFlag(values, 'data-dir') ?? config?.dataDir ?? io.env[ENV.DATA_DIR];
  if (!dir) usage(`--data-dir is required (or set $${ENV.DATA_DIR})`, 'data-dir');
  return resolve(io.cwd, dir);
}

function optionalConfig(values: CliValues, io: CliIO): KioskConfig | undefined {
  const p = path(io, stringFlag(values, 'config'));
  return p ? loadConfig(p, io.env) : undefined;
}

/** Opens the chain from --rpc/--registry/--config and the operator key; runs `fn`; always disconnects. */
async function withOperator<T>(values: CliValues, io: CliIO, fn: (chain: ChainSession, operator: Awaited<ReturnType<typeof readOperatorKey>>, config?: KioskConfig) => Promise<T>): Promise<T> {
  const config = optionalConfig(values, io);
  const target = resolveChainTarget({ rpc: stringFlag(values, 'rpc'), registry: stringFlag(values, 'registry'), config, env: io.env });
  const operator = await readOperatorKey(resolve(io.cwd, stringFlag(values, 'operator-key', { required: true })), { passphraseFile: path(io, stringFlag(values, 'operator-passphrase-file')) }, io.env);
  const chain = await openChain(target);
  try {
    return await fn(chain, operator, config);
  } finally {
    chain.close();
  }
}

function print(io: CliIO, values: CliValues, data: unknown, text: string): void {
  if (booleanFlag(values, 'json')) io.stdout(JSON.stringify(data, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\n');
  else io.stdout(text.endsWith('\n') ? text : text + '\n');
}

const initCommand: CliCommand = {
  name: 'provision init',
  summary: "Generate the kiosk's key in its data dir (encrypted keystore, or --plain-key)",
  options: {
    'data-dir': { type: 'string', description: `the kiosk's data dir (default $${ENV.DATA_DIR})` },
    'plain-key': { type: 'boolean', description: 'write a 0600 hex key file instead of an encrypted keystore' },
    force: { type: 'boolean', description: 'replace an existing key (the old file is wiped)' },
    ...kioskPassphrase,
    ...json,
  },
  usage: `The keystore is an ethers JSON keystore (scrypt); its passphrase (8+ characters) comes from
--passphrase-file, $${ENV.KEY_PASSPHRASE}, or a prompt (asked twice, not echoed) when stdin is a terminal.
Prints the kiosk address and public key; never the private key.
${EXIT_CODES}`,
  async run({ values }, io) {
    const dataDir = dataDirOf(values, io);
    const identity = await initKiosk({ dataDir, plain: booleanFlag(values, 'plain-key'), force: booleanFlag(values, 'force'), passphrase: kioskPassphraseSource(values, io) });
    print(io, values, { ...identity, dataDir }, `kiosk key written: ${identity.keyFile} (${identity.encrypted ? 'encrypted keystore' : 'plain hex, 0600'})
address     ${identity.address}
public key  ${identity.publicKey}
next: waymark provision kiosk authorize --venue ID --kiosk ${identity.address} --operator-key FILE --data-dir ${dataDir}`);
    return 0;
  },
};

const venueRegisterCommand: CliCommand = {
  name: 'provision venue register',
  summary: "Register a venue on chain at its coordinates' geohash-9, beneath its region",
  options: {
    name: { type: 'string', description: 'venue name (1..80 characters)' },
    lat: { type: 'string', description: 'latitude, -90..90 (negative: --lat=-33.86)' },
    lon: { type: 'string', description: 'longitude, -180..180 (negative: --lon=-0.12)' },
    capacity: { type: 'string', description: 'how many people the venue holds (goes into the metadata hash)' },
    ...operatorOptions,
    'authority-key': { type: 'string', description: 'key FILE of the region authority that registers the venue (default: the operator key, when the operator is its own region authority)' },
    ...chainOptions,
    ...json,
  },
  usage: `The venue's geohash-9 cell is computed with ngeohash; the registry files it under the
longest region prefix whose authority signed. Prints the venue id (use it for 'kiosk authorize').
${EXIT_CODES}`,
  async run({ values }, io) {
    const venue = parseVenueDescription({ name: stringFlag(values, 'name'), lat: stringFlag(values, 'lat'), lon: stringFlag(values, 'lon'), capacity: stringFlag(values, 'capacity') });
    return withOperator(values, io, async (chain, operator) => {
      const authorityFile = stringFlag(values, 'authority-key');
      const authorityKey = authorityFile
        ? await readOperatorKey(resolve(io.cwd, authorityFile), { passphraseFile: path(io, stringFlag(values, 'operator-passphrase-file')) }, io.env, 'authority keystore')
        : undefined;
      const candidates = authorityKey ? [authorityKey, operator] : [operator];
      const authority = (await regionSignerFor(chain.reader, geohashOf(venue), candidates)) ?? candidates[0];
      let r;
      try {
        r = await registerVenueAt(chain.as(authority), operator.address, venue);
      } catch (err) {
        if (isWaymarkError(err, 'WAYMARK_ERR_CHAIN_UNAUTHORIZED')) {
          throw new WaymarkError('WAYMARK_ERR_CHAIN_UNAUTHORIZED', `${authority.address} is not a region authority above this venue's cell; pass --authority-key with the region's key (${err.message})`, { cause: err, details: err.details });
        }
        throw err;
      }
      print(io, values, { venueId: r.venueId, geohash: r.geohash, region: r.region, operator: r.operator, metadataHash: r.metadataHash, txHash: r.txHash, name: venue.name, capacity: venue.capacity ?? null },
        `venue ${r.venueId} registered: "${venue.name}" at ${r.geohash} (region ${r.region}), operator ${r.operator}\ntx ${r.txHash}`);
      return 0;
    });
  },
};

const kioskAuthorizeCommand: CliCommand = {
  name: 'provision kiosk authorize',
  summary: "The operator signs the kiosk's device certificate and authorizes it on chain",
  options: {
    venue: { type: 'string', description: 'venue id' },
    kiosk: { type: 'string', description: "the kiosk's address (default: the one recorded in --data-dir)" },
    'data-dir': { type: 'string', description: "the kiosk's data dir: the certificate is written there" },
    'valid-days': { type: 'string', description: `certificate validity in days (default ${DEFAULT_CERTIFICATE_DAYS})` },
    fund: { type: 'string', description: 'also send the kiosk this much ETH for gas, e.g. 0.05' },
    ...operatorOptions,
    ...chainOptions,
    ...json,
  },
  usage: `The device certificate is EIP-712 typed data (kiosk, venue id, geohash, validity) signed by the
venue operator; the kiosk shows it in GET /v1/status. Authorizing an authorized kiosk again
only re-issues the certificate.
${EXIT_CODES}`,
  async run({ values }, io) {
    const venueId = venueIdOf(stringFlag(values, 'venue', { required: true }));
    const dataDir = path(io, stringFlag(values, 'data-dir'));
    let kiosk = stringFlag(values, 'kiosk');
    if (!kiosk && dataDir && existsSync(kioskFiles(dataDir).identity)) kiosk = (JSON.parse(readFileSync(kioskFiles(dataDir).identity, 'utf8')) as { address: string }).address;
    if (!kiosk) usage('--kiosk ADDRESS is required (or a --data-dir holding a kiosk key)', 'kiosk');
    kiosk = assertAddress(kiosk, 'kiosk');
    const validDays = positiveNumberFlag(values, 'valid-days');
    return withOperator(values, io, async (chain, operator) => {
      const r = await authorizeKioskWithCertificate(chain, operator, {
        venueId, kiosk: kiosk!, validDays, fundEth: stringFlag(values, 'fund'), certificateFile: dataDir ? kioskFiles(dataDir).certificate : undefined,
      });
      print(io, values, r, `kiosk ${r.kiosk} ${r.alreadyAuthorized ? 'was already' : 'is now'} authorized for venue ${r.venueId} (${r.geohash})${r.txHash ? `\ntx ${r.txHash}` : ''}${r.fundTxHash ? `\nfunded: tx ${r.fundTxHash}` : ''}
device certificate signed by ${r.operator}, valid until ${new Date(r.certificate.certificate.validUntil * 1000).toISOString().slice(0, 10)}${r.certificateFile ? `\nwritten to ${r.certificateFile}` : '\n(not stored: pass --data-dir to write it into the kiosk data dir)'}`);
      return 0;
    });
  },
};

const configWriteCommand: CliCommand = {
  name: 'provision config write',
  summary: 'Write a validated kiosk config (chain, radio, retention, tap threshold, HTTP port)',
  options: {
    config: { type: 'string', description: `config file to write (default $${ENV.CONFIG} or ${DEFAULT_PATHS.configFile})` },
    'data-dir': { type: 'string', description: `the kiosk's data dir (default $${ENV.DATA_DIR})` },
    rpc: { type: 'string', description: 'chain.rpcUrl: JSON-RPC URL' },
    'chain-id': { type: 'string', description: 'chain.chainId: the kiosk refuses any other chain' },
    registry: { type: 'string', description: 'chain.registry: WaymarkRegistry address' },
    venue: { type: 'string', description: "chain.venueId (default: the device certificate's)" },
    'venue-name': { type: 'string', description: 'venue.name shown on the screen' },
    geohash: { type: 'string', description: "venue.geohash (default: the device certificate's)" },
    'key-file': { type: 'string', description: 'chain.keyFile (default: the key in the data dir)' },
    'passphrase-file': { type: 'string', description: 'chain.passphraseFile: where the daemon reads the keystore passphrase' },
    radio: { type: 'string', description: 'radio.adapter: hci, serial or virtual' },
    'hci-device': { type: 'string', description: 'radio.hciDevice: N for hciN' },
    'serial-port': { type: 'string', description: 'radio.serialPort, e.g. /dev/ttyACM0' },
    'baud-rate': { type: 'string', description: 'radio.baudRate' },
    'retention-days': { type: 'string', description: 'retention.days' },
    'tap-threshold': { type: 'string', description: 'checkin.tapThresholdDbm: RSSI a phone tap must reach, dBm (negative: --tap-threshold=-45)' },
    'http-port': { type: 'string', description: 'http.port' },
    'public-url': { type: 'string', description: 'checkin.publicUrl: the URL phones open from the QR code, e.g. http://kiosk-3.venue.lan:8080 (without it the screen shows no QR; BLE taps still work)' },
    force: { type: 'boolean', description: 'replace an existing config file' },
    ...json,
  },
  usage: `Only the fields given are written; the daemon fills in the defaults (docs/OPERATIONS.md).
The result is validated with the daemon's schema before it is written: every bad or missing
field is named and nothing is written.
${EXIT_CODES}`,
  async run({ values }, io) {
    const configPath = resolve(io.cwd, stringFlag(values, 'config') ?? io.env[ENV.CONFIG] ?? DEFAULT_PATHS.configFile);
    const r = writeKioskConfig(configPath, {
      dataDir: dataDirOf(values, io),
      rpcUrl: stringFlag(values, 'rpc'),
      chainId: stringFlag(values, 'chain-id'),
      registry: stringFlag(values, 'registry'),
      venueId: stringFlag(values, 'venue'),
      venueName: stringFlag(values, 'venue-name'),
      geohash: stringFlag(values, 'geohash'),
      keyFile: path(io, stringFlag(values, 'key-file')),
      passphraseFile: path(io, stringFlag(values, 'passphrase-file')),
      radio: stringFlag(values, 'radio'),
      hciDevice: stringFlag(values, 'hci-device'),
      serialPort: stringFlag(values, 'serial-port'),
      baudRate: stringFlag(values, 'baud-rate'),
      retentionDays: stringFlag(values, 'retention-days'),
      tapThresholdDbm: stringFlag(values, 'tap-threshold'),
      httpPort: stringFlag(values, 'http-port'),
      publicUrl: stringFlag(values, 'public-url'),
    }, { force: booleanFlag(values, 'force') });
    print(io, values, { path: r.path, written: r.written, config: r.config }, `config written: ${r.path} (venue ${r.config.chain.venueId} at ${r.config.venue.geohash}, radio ${r.config.radio.adapter}, http port ${r.config.http.port})
operator token: ${r.config.http.operatorTokenFile} (send it as 'Authorization: Bearer <token>' to read status, metrics and batches from another machine)
${r.config.checkin.publicUrl ? `QR code links to: ${r.config.checkin.publicUrl}` : 'no --public-url: the screen will show no QR code (BLE taps still check in)'}
next: waymark provision doctor --config ${r.path}`);
    return 0;
  },
};

const configCheckCommand: CliCommand = {
  name: 'provision config check',
  summary: 'Validate a kiosk config, including the chain fields a provisioned kiosk needs',
  options: {
    config: { type: 'string', description: `config file (default $${ENV.CONFIG} or ${DEFAULT_PATHS.configFile})` },
    ...json,
  },
  usage: `Exit 1 with WAYMARK_ERR_CONFIG_INVALID naming every bad or missing field.
${EXIT_CODES}`,
  async run({ values }, io) {
    const configPath = resolve(io.cwd, stringFlag(values, 'config') ?? io.env[ENV.CONFIG] ?? DEFAULT_PATHS.configFile);
    const config = checkKioskConfig(configPath, io.env);
    print(io, values, { valid: true, path: configPath, config }, `${configPath}: valid (venue ${config.chain.venueId} at ${config.venue.geohash}, registry ${config.chain.registry}, radio ${config.radio.adapter})`);
    return 0;
  },
};

const doctorCommand: CliCommand = {
  name: 'provision doctor',
  summary: 'Self-test a provisioned kiosk: one line per check with pass/fail and how to fix it',
  options: {
    config: { type: 'string', description: `config file (default $${ENV.CONFIG} or ${DEFAULT_PATHS.configFile})` },
    'min-balance': { type: 'string', description: 'gas money the kiosk must hold, ETH (default 0.005)' },
    'min-free-mb': { type: 'string', description: 'free space the data dir must have, MB (default 200)' },
    'clock-tolerance': { type: 'string', description: "seconds the clock may be off the chain node's (default 5)" },
    ...json,
  },
  usage: `Checks, in order:
${DOCTOR_CHECKS.map((c) => `  ${c.name.padEnd(13)} ${c.description}`).join('\n')}
Exit 0 when every check passes, 1 otherwise.`,
  async run({ values }, io) {
    const configPath = resolve(io.cwd, stringFlag(values, 'config') ?? io.env[ENV.CONFIG] ?? DEFAULT_PATHS.configFile);
    const minBalance = stringFlag(values, 'min-balance');
    if (minBalance !== undefined && !/^\d+(\.\d{1,18})?$/.test(minBalance)) usage(`--min-balance must be an ETH amount, got '${minBalance}'`, 'min-balance');
    const minFree = positiveNumberFlag(values, 'min-free-mb');
    const report = await runDoctor(
      {
        configPath,
        env: io.env,
        minBalanceWei: minBalance !== undefined ? parseEther(minBalance) : undefined,
        minFreeBytes: minFree !== undefined ? minFree * 1024 * 1024 : undefined,
        clockToleranceS: positiveNumberFlag(values, 'clock-tolerance'),
        probeRadio,
      },
      DOCTOR_CHECKS,
      booleanFlag(values, 'json') ? undefined : (r) => io.stdout(formatCheck(r)),
    );
    if (booleanFlag(values, 'json')) io.stdout(JSON.stringify(report) + '\n');
    else {
      const failed = report.checks.filter((c) => !c.ok);
      io.stdout(report.ok ? `all ${report.checks.length} checks passed\n` : `${failed.length} of ${report.checks.length} checks failed: ${failed.map((c) => c.name).join(', ')}\n`);
    }
    return report.ok ? 0 : 1;
  },
};

const serviceInstallCommand: CliCommand = {
  name: 'provision service install',
  summary: 'Write the systemd unit that runs the kiosk and print the commands to enable it',
  options: {
    'unit-dir': { type: 'string', description: 'where to write NAME.service', default: '/etc/systemd/system' },
    name: { type: 'string', description: 'unit name', default: SERVICE_DEFAULTS.name },
    user: { type: 'string', description: 'User= and Group= the daemon runs as', default: SERVICE_DEFAULTS.user },
    config: { type: 'string', description: 'config file the unit starts the kiosk with', default: SERVICE_DEFAULTS.configFile },
    'data-dir': { type: 'string', description: 'data dir made writable (ReadWritePaths=); the kiosk takes its data dir from the config', default: SERVICE_DEFAULTS.dataDir },
    'env-file': { type: 'string', description: `EnvironmentFile= (e.g. for $${ENV.KEY_PASSPHRASE}; keep it 0600 root)`, default: SERVICE_DEFAULTS.envFile },
    exec: { type: 'string', description: 'the command that runs waymark, by absolute path (default: this node and this installation\'s bin/waymark.js)' },
    force: { type: 'boolean', description: 'replace an existing unit file' },
    ...json,
  },
  usage: `The unit is the shipped deploy/waymark.service with these values filled in: Restart=on-failure,
the raw-socket capabilities noble needs, ProtectSystem=strict with the data dir writable.
${EXIT_CODES}`,
  async run({ values }, io) {
    const r = installService(resolve(io.cwd, stringFlag(values, 'unit-dir', { required: true })), {
      name: stringFlag(values, 'name'),
      user: stringFlag(values, 'user'),
      group: stringFlag(values, 'user'),
      configFile: stringFlag(values, 'config'),
      dataDir: stringFlag(values, 'data-dir'),
      envFile: stringFlag(values, 'env-file'),
      exec: stringFlag(values, 'exec') ?? installedExec(),
      force: booleanFlag(values, 'force'),
    });
    print(io, values, r, `unit written: ${r.unitFile}\nenable and start it with:\n${r.commands.map((c) => `  ${c}`).join('\n')}`);
    return 0;
  },
};

const bulkCommand: CliCommand = {
  name: 'provision bulk',
  summary: 'Provision many kiosks and venues from a CSV sheet (resumable; failures reported)',
  options: {
    csv: { type: 'string', description: `the sheet; columns ${BULK_REQUIRED_COLUMNS.join(', ')} (required), ${BULK_COLUMNS.filter((c) => !BULK_REQUIRED_COLUMNS.includes(c)).join(', ')} (optional)` },
    state: { type: 'string', description: 'progress file that makes re-runs skip done rows (default CSV.state.json)' },
    'plain-key': { type: 'boolean', description: 'write 0600 hex kiosk keys instead of keystores' },
    ...kioskPassphrase,
    fund: { type: 'string', description: 'ETH sent to each new kiosk for gas (a fund column overrides)' },
    'valid-days': { type: 'string', description: `certificate validity in days (default ${DEFAULT_CERTIFICATE_DAYS})` },
    ...operatorOptions,
    'authority-key': { type: 'string', description: 'region authority key FILE for venues in its region (the operator key registers those in its own)' },
    ...chainOptions,
    ...json,
  },
  usage: `Per row: register the venue (once per name and cell), create the kiosk key in data_dir,
authorize it with a device certificate, write data_dir/config.json. A progress bar is drawn
on stderr when it is a terminal. Exit 1 when any row failed (the report names each one);
run again to retry them; done rows are skipped.
${EXIT_CODES}`,
  async run({ values }, io) {
    const csvPath = resolve(io.cwd, stringFlag(values, 'csv', { required: true }));
    const plain = booleanFlag(values, 'plain-key');
    const validDays = positiveNumberFlag(values, 'valid-days');
    return withOperator(values, io, async (chain, operator) => {
      const authorityFile = stringFlag(values, 'authority-key');
      const authorityKey = authorityFile
        ? await readOperatorKey(resolve(io.cwd, authorityFile), { passphraseFile: path(io, stringFlag(values, 'operator-passphrase-file')) }, io.env, 'authority keystore')
        : undefined;
      const passphrase = plain ? undefined : await resolvePassphrase(kioskPassphraseSource(values, io), { confirm: true, minLength: MIN_PASSPHRASE_LENGTH });
      const report = await runBulk(chain, operator, { csvPath, statePath: path(io, stringFlag(values, 'state')), authorityKey, plainKeys: plain, passphrase, fundEth: stringFlag(values, 'fund'), validDays });
      const lines = report.rows.filter((r) => r.status === 'failed').map((r) => `  line ${r.line} (${r.venue || '?'}): ${r.error!.message} (${r.error!.code})`);
      print(io, values, report, `${report.total} rows: ${report.done} done, ${report.skipped} skipped (done before), ${report.failed} failed${lines.length ? `\nfailed rows (fix them and run again; done rows are skipped):\n${lines.join('\n')}` : ''}\nstate: ${report.state}`);
      return report.failed > 0 ? 1 : 0;
    });
  },
};

function venueFromDataDir(values: CliValues, dataDir: string, config?: KioskConfig): bigint | undefined {
  const v = stringFlag(values, 'venue');
  if (v) return venueIdOf(v);
  if (config?.chain.venueId) return BigInt(config.chain.venueId);
  const cert = readDeviceCertificate(kioskFiles(dataDir).certificate);
  return cert ? BigInt(cert.certificate.venueId) : undefined;
}

const rotateKeyCommand: CliCommand = {
  name: 'provision rotate-key',
  summary: "Replace the kiosk's key: new key authorized by the operator, old key revoked on chain",
  options: {
    'data-dir': { type: 'string', description: "the kiosk's data dir (default: the --config's, else $WAYMARK_DATA_DIR)" },
    venue: { type: 'string', description: "venue id (default: the --config's or the device certificate's)" },
    ...kioskPassphrase,
    fund: { type: 'string', description: 'ETH sent to the new key for gas' },
    'valid-days': { type: 'string', description: `certificate validity in days (default ${DEFAULT_CERTIFICATE_DAYS})` },
    ...operatorOptions,
    ...chainOptions,
    ...json,
  },
  usage: `The new key is staged beside the old one; only after it is authorized and the old address
revoked is the old key file wiped and replaced (same format, same passphrase source). Restart
the kiosk afterwards. Its batch sequence starts again at 0 under the new address.
${EXIT_CODES}`,
  async run({ values }, io) {
    return withOperator(values, io, async (chain, operator, config) => {
      const dataDir = dataDirOf(values, io, config);
      const venueId = venueFromDataDir(values, dataDir, config);
      if (venueId === undefined) usage('--venue is required (no config or device certificate names it)', 'venue');
      const r = await rotateKioskKey(chain, operator, { dataDir, venueId, passphrase: kioskPassphraseSource(values, io), fundEth: stringFlag(values, 'fund'), validDays: positiveNumberFlag(values, 'valid-days') });
      print(io, values, r, `kiosk key rotated for venue ${venueId}
old ${r.oldAddress} ${r.revokeTxHash ? `revoked (tx ${r.revokeTxHash})` : 'was not authorized'}
new ${r.newIdentity.address} authorized${r.authorization.txHash ? ` (tx ${r.authorization.txHash})` : ''}, certificate in ${r.authorization.certificateFile}
restart the kiosk: sudo systemctl restart waymark`);
      return 0;
    });
  },
};

const decommissionCommand: CliCommand = {
  name: 'provision decommission',
  summary: "Retire a kiosk: revoke it on chain and wipe its key file",
  options: {
    'data-dir': { type: 'string', description: "the kiosk's data dir (default: the --config's, else $WAYMARK_DATA_DIR)" },
    venue: { type: 'string', description: "venue id (default: the --config's or the device certificate's)" },
    ...operatorOptions,
    ...chainOptions,
    ...json,
  },
  usage: `Revokes first (a refused revocation leaves the key in place to retry), then overwrites and
deletes the key file and removes the certificate; decommissioned.json records what was done.
The kiosk's later commits are refused by the chain (NotAuthorizedKiosk).
${EXIT_CODES}`,
  async run({ values }, io) {
    return withOperator(values, io, async (chain, operator, config) => {
      const dataDir = dataDirOf(values, io, config);
      const r = await decommissionKiosk(chain, operator, { dataDir, venueId: venueFromDataDir(values, dataDir, config) });
      print(io, values, r, `kiosk ${getAddress(r.kiosk)} decommissioned from venue ${r.venueId}: ${r.alreadyRevoked ? 'it was not authorized' : `revoked (tx ${r.revokeTxHash})`}
wiped: ${r.wiped.join(', ') || 'nothing'}
record: ${r.record}`);
      return 0;
    });
  },
};

export const provisionCommands: CliCommand[] = [
  initCommand,
  venueRegisterCommand,
  kioskAuthorizeCommand,
  configWriteCommand,
  configCheckCommand,
  doctorCommand,
  serviceInstallCommand,
  bulkCommand,
  rotateKeyCommand,
  decommissionCommand,
];
