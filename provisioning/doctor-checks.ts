/**
 * The doctor's checks as data, in the order they run: each has a name, what it proves and
 * a `run` that answers pass/fail with what it saw and how to fix a failure.
 */
import { existsSync, mkdirSync, statfsSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Contract, formatEther, getAddress } from 'ethers';
import type BetterSqlite3 from 'better-sqlite3';
import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import { isWaymarkError } from '../core/errors.js';
import { ENV, STORE_FILE } from '../core/paths.js';
import { systemClock } from '../core/clock.js';
import { getArtifact } from '../contracts/build.js';
import { getVenue } from '../contracts/actions/get-venue.js';
import { isKiosk } from '../contracts/actions/is-kiosk.js';
import { kioskKeyFile } from '../contracts/kiosk-key.js';
import { SerialLink } from '../firmware-bridge/link.js';
import { provisioningGaps } from './config-file.js';
import { fileMode, readKeyFile } from './keys.js';
import { kioskFiles } from '../core/data-dir.js';
import { openChain, resolveChainTarget } from './chain-access.js';
import { readDeviceCertificate, verifyDeviceCertificate } from '../contracts/device-certificate.js';
import type { CheckResult, DoctorCheck, DoctorContext } from './doctor-context.js';

const require = createRequire(import.meta.url);

const DEFAULT_MIN_BALANCE_WEI = 5_000_000_000_000_000n; // 0.005 ETH
const DEFAULT_MIN_FREE_BYTES = 200 * 1024 * 1024;
const DEFAULT_CLOCK_TOLERANCE_S = 5;

function message(err: unknown): string {
  return isWaymarkError(err) ? `${err.message} (${err.code})` : String((err as Error)?.message ?? err);
}

function pass(detail: string): CheckResult {
  return { ok: true, detail };
}

function fail(detail: string, fix: string): CheckResult {
  return { ok: false, detail, fix };
}

const configCheck: DoctorCheck = {
  name: 'config',
  description: 'the config file parses, every field is valid, and the chain fields a provisioned kiosk needs are set',
  async run(ctx) {
    const { config, error } = ctx.configOrError();
    if (!config) return fail(message(error), `correct the named fields in ${ctx.options.configPath} (or write it with 'waymark provision config write')`);
    const gaps = provisioningGaps(config);
    if (gaps.length) return fail(gaps.map((g) => `${g.field}: ${g.message}`).join('; '), "set them with 'waymark provision config write --force ...'");
    return pass(`${ctx.options.configPath}: venue ${config.chain.venueId}, radio ${config.radio.adapter}`);
  },
};

const keyCheck: DoctorCheck = {
  name: 'key',
  description: 'the kiosk key file exists, is private (0600) and opens with its passphrase',
  async run(ctx) {
    const config = ctx.config();
    const keyFile = kioskKeyFile(config);
    if (!existsSync(keyFile)) return fail(`${keyFile} does not exist`, "run 'waymark provision init --data-dir DIR' (or fix chain.keyFile)");
    const mode = fileMode(keyFile);
    if ((mode & 0o077) !== 0) return fail(`${keyFile} has mode 0${mode.toString(8)}: other users can read the key`, `chmod 600 ${keyFile}`);
    try {
      const wallet = await readKeyFile(keyFile, {
        file: config.chain.passphraseFile,
        env: ctx.options.env,
        envName: ENV.KEY_PASSPHRASE,
        label: 'kiosk keystore',
        prompt: ctx.options.prompt,
      });
      ctx.setWallet(wallet);
      const identity = kioskFiles(config.dataDir).identity;
      if (existsSync(identity)) {
        const recorded = (JSON.parse(readFileSync(identity, 'utf8')) as { address?: string }).address;
        if (recorded && getAddress(recorded) !== wallet.address) {
          return fail(`${keyFile} holds ${wallet.address}, but ${identity} records ${recorded}`, "the key was replaced by hand; run 'waymark provision rotate-key' instead");
        }
      }
      return pass(`${keyFile} (kiosk ${wallet.address})`);
    } catch (err) {
      const fix = isWaymarkError(err, 'WAYMARK_ERR_KEY_PASSPHRASE')
        ? `put the right passphrase in chain.passphraseFile or $${ENV.KEY_PASSPHRASE}`
        : "re-create the key with 'waymark provision init --force' and re-authorize it";
      return fail(message(err), fix);
    }
  },
};

const dataDirCheck: DoctorCheck = {
  name: 'data-dir',
  description: 'the data dir exists, is writable and has free space',
  async run(ctx) {
    const { dataDir } = ctx.config();
    const min = ctx.options.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES;
    try {
      mkdirSync(dataDir, { recursive: true });
      const probe = join(dataDir, `.doctor-${process.pid}`);
      writeFileSync(probe, 'ok');
      unlinkSync(probe);
    } catch (err) {
      return fail(`${dataDir} is not writable (${(err as Error).message})`, `chown the data dir to the service user: sudo chown -R waymark: ${dataDir}`);
    }
    const fs = statfsSync(dataDir);
    const free = Number(fs.bavail) * Number(fs.bsize);
    const mb = (n: number) => `${Math.floor(n / 1024 / 1024)} MB`;
    if (free < min) return fail(`${dataDir} has ${mb(free)} free, less than ${mb(min)}`, 'free space on the SD card (journal: journalctl --vacuum-size=100M) or lower retention.days');
    return pass(`${dataDir} writable, ${mb(free)} free`);
  },
};

const storeCheck: DoctorCheck = {
  name: 'store',
  description: 'the SQLite store passes PRAGMA integrity_check (a missing store is created at first start)',
  async run(ctx) {
    const path = join(ctx.config().dataDir, STORE_FILE);
    if (!existsSync(path)) return pass(`${path} not created yet (the kiosk creates it at first start)`);
    const Sqlite = require('better-sqlite3') as typeof BetterSqlite3;
    let db: BetterSqlite3.Database | undefined;
    try {
      db = new Sqlite(path, { readonly: true, fileMustExist: true });
      const result = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
      if (result !== 'ok') return fail(`${path}: ${result}`, `stop the kiosk, move ${path} aside (the next start creates a fresh store) and report the file`);
      return pass(`${path}: integrity ok`);
    } catch (err) {
      return fail(`${path}: ${(err as Error).message}`, `stop the kiosk, move ${path} aside and start it again`);
    } finally {
      db?.close();
    }
  },
};

async function probeSerial(path: string, baudRate: number, binding: BindingInterface | undefined): Promise<string> {
  const b = binding ?? (require('@serialport/bindings-cpp') as { autoDetect(): BindingInterface }).autoDetect();
  const link = new SerialLink({ path, binding: b, baudRate, heartbeatIntervalMs: 0, handshakeAttempts: 2 });
  try {
    const caps = await link.open();
    return `serial bridge ${path}: firmware ${caps.firmwareVersion}, protocol ${caps.protocolVersion}`;
  } finally {
    await link.close();
  }
}

const radioCheck: DoctorCheck = {
  name: 'radio',
  description: 'the radio answers: the HCI adapter powers on and scans, the serial bridge completes its HELLO handshake, or the simulated radio scans',
  async run(ctx) {
    const { radio } = ctx.config();
    const timeoutMs = ctx.options.radioTimeoutMs ?? 8000;
    try {
      switch (radio.adapter) {
        case 'serial':
          return pass(await probeSerial(radio.serialPort, radio.baudRate, ctx.options.serialBinding));
        case 'virtual':
        case 'hci':
          if (!ctx.options.probeRadio) return fail(`no probe for the ${radio.adapter} radio in this build`, 'run the doctor from the waymark CLI');
          return pass(await ctx.options.probeRadio(ctx.config(), timeoutMs));
      }
    } catch (err) {
      const fix = radio.adapter === 'serial'
        ? `check the co-processor is plugged in at ${radio.serialPort} (ls -l /dev/serial/by-id), the service user is in group dialout, and the baud rate`
        : `check 'hciconfig hci${radio.hciDevice}' shows UP, give node cap_net_raw,cap_net_admin (setcap) and stop bluetoothd holding the adapter`;
      return fail(message(err), fix);
    }
  },
};

function ntpStatus(): Promise<'yes' | 'no' | undefined> {
  if (existsSync('/run/systemd/timesync/synchronized')) return Promise.resolve('yes');
  return new Promise((resolve) => {
    execFile('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { timeout: 2000 }, (err, stdout) => {
      const v = stdout?.trim();
      resolve(err ? undefined : v === 'yes' ? 'yes' : v === 'no' ? 'no' : undefined);
    });
  });
}

/** The chain node's clock from its HTTP Date header (1 s resolution), ms; undefined if it has none. */
async function nodeDate(rpcUrl: string): Promise<number | undefined> {
  if (!/^https?:/.test(rpcUrl)) return undefined;
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(5000),
    });
    const date = res.headers.get('date');
    await res.body?.cancel();
    return date ? Date.parse(date) : undefined;
  } catch {
    return undefined;
  }
}

const clockCheck: DoctorCheck = {
  name: 'clock',
  description: "the clock is synchronized: it agrees with the chain node's clock, and NTP (systemd-timesyncd) is not reporting it unsynced",
  async run(ctx) {
    const config = ctx.config();
    const tolerance = ctx.options.clockToleranceS ?? DEFAULT_CLOCK_TOLERANCE_S;
    const fix = 'enable NTP (sudo timedatectl set-ntp true) and check the NTP server is reachable; a Pi has no battery clock';
    const reference = config.chain.rpcUrl ? await nodeDate(config.chain.rpcUrl) : undefined;
    const ntp = await ntpStatus();
    if (reference !== undefined) {
      const offsetS = (ctx.now() - reference) / 1000;
      // the Date header truncates to the second, so allow one more second
      if (Math.abs(offsetS) > tolerance + 1) return fail(`the clock is ${offsetS.toFixed(0)} s off the chain node's (tolerance ${tolerance} s)`, fix);
    }
    if (ntp === 'no') return fail('timedatectl reports NTPSynchronized=no', fix);
    if (ntp === 'yes') return pass(`NTP synchronized${reference !== undefined ? `; agrees with the chain node within ${tolerance} s` : ''}`);
    if (reference !== undefined) return pass(`agrees with the chain node's clock within ${tolerance} s (no NTP status on this system)`);
    return fail('cannot tell: no NTP status (timedatectl) and no chain node clock to compare with', fix);
  },
};

const chainCheck: DoctorCheck = {
  name: 'chain',
  description: 'the RPC node answers, is the configured chain, and has the registry deployed',
  async run(ctx) {
    const config = ctx.config();
    try {
      const session = await openChain(resolveChainTarget({ config, env: {} }));
      ctx.setChain(session);
      const block = await session.provider.getBlockNumber();
      return pass(`${config.chain.rpcUrl}: chain ${session.chainId}, block ${block}, registry ${session.registry}`);
    } catch (err) {
      return fail(message(err), 'check chain.rpcUrl, chain.chainId and chain.registry, and that the node is up and reachable from the venue network');
    }
  },
};

const venueCheck: DoctorCheck = {
  name: 'venue',
  description: "the configured venue exists on chain at the config's geohash",
  async run(ctx) {
    const config = ctx.config();
    const venueId = ctx.venueId();
    try {
      const venue = await getVenue(ctx.chain().reader, { venueId });
      if (venue.geohash !== config.venue.geohash) {
        return fail(`venue ${venueId} is at ${venue.geohash} on chain, the config says ${config.venue.geohash}`, `set venue.geohash to ${venue.geohash} (or chain.venueId to the right venue)`);
      }
      return pass(`venue ${venueId} at ${venue.geohash} (region ${venue.region}), status ${venue.status}`);
    } catch (err) {
      return fail(message(err), "check chain.venueId; register the venue with 'waymark provision venue register'");
    }
  },
};

const authorizationCheck: DoctorCheck = {
  name: 'authorization',
  description: 'the kiosk key is an authorized kiosk of the venue on chain (if not, says whether it was revoked)',
  async run(ctx) {
    const chain = ctx.chain();
    const kiosk = ctx.wallet().address;
    const venueId = ctx.venueId();
    if (await isKiosk(chain.reader, { venueId, kiosk })) return pass(`kiosk ${kiosk} is authorized for venue ${venueId}`);
    const registry = new Contract(chain.registry, getArtifact('WaymarkRegistry').abi as never, chain.provider);
    const revoked = await registry.queryFilter(registry.filters.KioskRevoked(venueId, kiosk), 0, 'latest');
    const last = revoked.at(-1);
    if (last) {
      return fail(
        `kiosk ${kiosk} was REVOKED for venue ${venueId} in block ${last.blockNumber} (tx ${last.transactionHash})`,
        "if it was decommissioned, provision a new key ('waymark provision init --force' then 'kiosk authorize'); otherwise ask the venue operator to re-authorize it",
      );
    }
    return fail(`kiosk ${kiosk} is not authorized for venue ${venueId} (never authorized)`, `the venue operator runs 'waymark provision kiosk authorize --venue ${venueId} --kiosk ${kiosk} --operator-key FILE'`);
  },
};

const certificateCheck: DoctorCheck = {
  name: 'certificate',
  description: "the device certificate in the data dir is signed by the venue's operator for this kiosk, venue, geohash and chain, and is within its validity",
  async run(ctx) {
    const config = ctx.config();
    const path = kioskFiles(config.dataDir).certificate;
    const fix = `re-issue it: 'waymark provision kiosk authorize --venue ${config.chain.venueId} --kiosk ${ctx.wallet().address} --operator-key FILE --data-dir ${config.dataDir}'`;
    let cert;
    try {
      cert = readDeviceCertificate(path);
    } catch (err) {
      return fail(message(err), fix);
    }
    if (!cert) return fail(`${path} does not exist`, fix);
    const chain = ctx.chain();
    const venue = await getVenue(chain.reader, { venueId: ctx.venueId() }).catch(() => undefined);
    const verdict = verifyDeviceCertificate(cert, {
      now: Math.floor(ctx.now() / 1000),
      kiosk: ctx.wallet().address,
      venueId: ctx.venueId(),
      geohash: venue?.geohash,
      operator: venue?.operator,
      chainId: chain.chainId,
      registry: chain.registry,
    });
    if (!verdict.ok) return fail(`${path}: ${verdict.problems.join('; ')}`, fix);
    return pass(`signed by operator ${verdict.signer}, valid until ${new Date(cert.certificate.validUntil * 1000).toISOString().slice(0, 10)}`);
  },
};

const gasCheck: DoctorCheck = {
  name: 'gas',
  description: 'the kiosk holds enough native currency to pay for its batch commits',
  async run(ctx) {
    const min = ctx.options.minBalanceWei ?? DEFAULT_MIN_BALANCE_WEI;
    const kiosk = ctx.wallet().address;
    const balance = await ctx.chain().provider.getBalance(kiosk);
    if (balance < min) return fail(`kiosk ${kiosk} holds ${formatEther(balance)} ETH, below ${formatEther(min)}`, `send it gas money, e.g. 'waymark provision kiosk authorize ... --fund 0.05' or a transfer to ${kiosk}`);
    return pass(`kiosk ${kiosk} holds ${formatEther(balance)} ETH (minimum ${formatEther(min)})`);
  },
};

export const DOCTOR_CHECKS: readonly DoctorCheck[] = [
  configCheck,
  keyCheck,
  dataDirCheck,
  storeCheck,
  radioCheck,
  clockCheck,
  chainCheck,
  venueCheck,
  authorizationCheck,
  certificateCheck,
  gasCheck,
];

export type { DoctorContext };
