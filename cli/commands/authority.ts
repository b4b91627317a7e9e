/**
 * `waymark authority ...`: the health authority's commands. Register a region's authority,
 * report exposures (a window by hand, or verified from what a diagnosed visitor shared) and
 * list the reported exposures. Flags follow `waymark provision`; the work is in authority/.
 * The chain options and key helpers here are shared with `waymark venue`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SigningKey, Wallet, type BaseWallet } from 'ethers';
import { WaymarkError } from '../../core/errors.js';
import type { CliCommand, CliIO, CliOptions, CliValues } from '../command.js';
import { addressFlag, booleanFlag, geohashPrefixFlag, intFlag, stringFlag, unixTimeFlag, usage, venueIdFlag } from '../flags.js';
import { loadConfig } from '../../core/config.js';
import { ENV } from '../../core/paths.js';
import { openChain, resolveChainTarget, type ChainSession } from '../../provisioning/chain-access.js';
import { readKeyFile, writePlainKey } from '../../provisioning/keys.js';
import { registerRegionAuthority } from '../../authority/region.js';
import { reportWindow } from '../../authority/exposure-report.js';
import { openShare, reportSharedCheckins, type SharedReportResult } from '../../authority/report-shared.js';
import { listExposures, type ListedExposure } from '../../authority/exposure-log.js';
import { DEFAULT_CHUNK_BLOCKS } from '../../authority/log-scan.js';
import { communityKeys } from '../../contracts/actions/community-keys.js';
import { verifyCommunityReports, type CommunityReport } from '../../community/report.js';
import { communityRingCheck } from '../../community/ring.js';
import { buildCommunityCollector, readReportLines } from '../../community/collector.js';

export const EXIT_CODES = 'Exit codes: 0 ok, 1 an operation failed (or a record was refused), 2 bad usage or input. See docs/EXPOSURE.md.';

export const jsonOption = { json: { type: 'boolean', description: 'print one JSON object on stdout instead of text' } } satisfies CliOptions;

export const chainOptions = {
  rpc: { type: 'string', description: `JSON-RPC URL of the chain (default: the --config's chain.rpcUrl, else $${ENV.RPC_URL})` },
  registry: { type: 'string', description: "WaymarkRegistry address (default: the --config's chain.registry)" },
  'chain-id': { type: 'string', description: "refuse to act unless the node is this chain (default: the --config's chain.chainId)" },
  config: { type: 'string', description: 'a kiosk config to take the chain settings from' },
} satisfies CliOptions;

function path(io: CliIO, p: string | undefined): string | undefined {
  return p === undefined ? undefined : resolve(io.cwd, p);
}

/** A key file (JSON keystore or hex) opened by the one key loader; the passphrase from `passFlag`, else $WAYMARK_OPERATOR_KEY_PASSPHRASE, else the terminal. */
export function readSignerKey(values: CliValues, io: CliIO, keyFlag: string, passFlag: string, label: string): Promise<BaseWallet> {
  return readKeyFile(resolve(io.cwd, stringFlag(values, keyFlag, { required: 'FILE' })), {
    file: path(io, stringFlag(values, passFlag)), env: io.env, envName: ENV.OPERATOR_KEY_PASSPHRASE, label, fileHint: `--${passFlag}`,
  });
}

/**
 * Opens the chain named by --rpc/--registry/--config (flags win over the config, the config
 * over $WAYMARK_RPC_URL), checks the node, the chain id and the registry; runs `fn`; always disconnects.
 */
export async function withChain<T>(values: CliValues, io: CliIO, fn: (chain: ChainSession) => Promise<T>): Promise<T> {
  const configPath = path(io, stringFlag(values, 'config'));
  const config = configPath ? loadConfig(configPath, io.env) : undefined;
  const chainId = intFlag(values, 'chain-id', { min: 1, max: Number.MAX_SAFE_INTEGER });
  const target = resolveChainTarget({ rpc: stringFlag(values, 'rpc'), registry: stringFlag(values, 'registry'), config, env: io.env });
  const chain = await openChain({ ...target, chainId: chainId === undefined ? target.chainId : undefined });
  try {
    if (chainId !== undefined && chain.chainId !== chainId) usage(`--chain-id ${chainId} but the node at ${new URL(chain.rpcUrl).origin} is chain ${chain.chainId}`, 'chain-id');
    return await fn(chain);
  } finally {
    chain.close();
  }
}

export function print(io: CliIO, values: CliValues, data: unknown, text: string): void {
  if (booleanFlag(values, 'json')) io.stdout(JSON.stringify(data, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\n');
  else io.stdout(text.endsWith('\n') ? text : text + '\n');
}

/** Unix seconds as an ISO time, UTC, to the second. */
export function utc(unix: number): string {
  return new Date(unix * 1000).toISOString().replace('.000Z', 'Z');
}

const authorityKeyOptions = {
  'key-file': { type: 'string', description: "the signer's key FILE: a JSON keystore or a 0600 hex key" },
  'passphrase-file': { type: 'string', description: `passphrase of that keystore (else $${ENV.OPERATOR_KEY_PASSPHRASE}, else asked on the terminal)` },
} satisfies CliOptions;

const regionRegisterCommand: CliCommand = {
  name: 'authority region register',
  summary: "Register (or rotate) the region authority of a geohash prefix; signed by the admin or an enclosing region's authority",
  options: {
    prefix: { type: 'string', description: 'geohash prefix of the region, 1..8 characters (e.g. u4pr)' },
    authority: { type: 'string', description: "the region authority's address" },
    ...authorityKeyOptions,
    ...chainOptions,
    ...jsonOption,
  },
  usage: `Run it once after 'waymark chain deploy', with the deployer's (admin's) key, before
'provision venue register': venues can only be registered beneath a region. The authority of
'u4' may then register 'u4pr' itself. Registering a prefix again replaces its authority;
registering the authority it already has sends nothing.
Example:
  waymark authority region register --prefix u4pr --authority 0xAUTHORITY --key-file admin.json \\
    --rpc https://rpc.example --registry 0xREGISTRY
${EXIT_CODES}`,
  async run({ values }, io) {
    const prefix = geohashPrefixFlag(values, 'prefix', { required: true })!;
    const authority = addressFlag(values, 'authority', { required: 'ADDRESS' });
    const key = await readSignerKey(values, io, 'key-file', 'passphrase-file', 'admin or region authority keystore');
    return withChain(values, io, async (chain) => {
      const r = await registerRegionAuthority(chain.as(key), { prefix, authority });
      const was = r.previousAuthority ? `replacing ${r.previousAuthority}` : 'new region';
      print(io, values, r, r.txHash
        ? `region ${r.prefix}: authority ${r.authority} (${was}), signed by ${r.signer} as ${r.signedAs === 'admin' ? 'registry admin' : `authority of ${r.signedAs}`}\ntx ${r.txHash}`
        : `region ${r.prefix} already has authority ${r.authority}; nothing sent`);
      return 0;
    });
  },
};

function describeShared(r: SharedReportResult, dryRun: boolean, total: number): string {
  const lines: string[] = [];
  const refused = new Map(r.refused.map((x) => [x.record, x]));
  const verified = new Map(r.verified.map((v) => [v.record, v]));
  for (let i = 0; i < total; i++) {
    const v = verified.get(i);
    const x = refused.get(i);
    if (x) lines.push(`record ${i}${x.id ? ` ${x.id.slice(0, 10)}…` : ''}${x.venueId !== null ? ` venue ${x.venueId}` : ''}: REFUSED ${x.code}: ${x.message}`);
    else if (v) {
      const how = v.departureSource === 'checkout' ? 'check-out' : 'arrival + 1 h (no check-out)';
      lines.push(`record ${i} ${v.id.slice(0, 10)}… venue ${v.venueId}: verified (kiosk ${v.kiosk}${v.signerCheck === 'committed' ? ', revoked since' : ''}, batch ${v.batchSeq}; stay ${utc(v.arrival)} .. ${utc(v.departure)}, end from ${how})`);
    }
  }
  for (const w of r.reported) lines.push(`venue ${w.venueId}: exposure ${utc(w.from)} .. ${utc(w.to)} reported (records ${w.records.join(', ')}), Infected until ${utc(w.expiresAt)} unless cleaned; tx ${w.txHash}`);
  if (dryRun) for (const w of r.planned) lines.push(`venue ${w.venueId}: would report ${utc(w.from)} .. ${utc(w.to)} (records ${w.records.join(', ')}); dry run, nothing sent`);
  for (const f of r.failed) lines.push(`venue ${f.venueId}: report ${utc(f.from)} .. ${utc(f.to)} FAILED ${f.code}: ${f.message}`);
  const dup = r.duplicates ? `, ${r.duplicates} duplicate${r.duplicates === 1 ? '' : 's'} skipped` : '';
  lines.push(`${r.verified.length} of ${total} records verified, ${r.refused.length} refused${dup}; ${dryRun ? `${r.planned.length} report(s) would be sent` : `${r.reported.length} report(s) sent${r.failed.length ? `, ${r.failed.length} failed` : ''}`}`);
  return lines.join('\n');
}

const reportCommand: CliCommand = {
  name: 'authority report',
  summary: 'Report an exposure: a venue and window by hand, or every verified record a diagnosed visitor shared',
  options: {
    venue: { type: 'string', description: 'venue id (with --from and --to)' },
    from: { type: 'string', description: 'window start, Unix seconds' },
    to: { type: 'string', description: 'window end, Unix seconds' },
    shared: { type: 'string', description: "the visitor's shared check-ins FILE (plain or sealed)" },
    'authority-secret-file': { type: 'string', description: 'the key a sealed share was sealed to: a hex secret or a JSON keystore (its passphrase as for --key-file)' },
    ...authorityKeyOptions,
    'dry-run': { type: 'boolean', description: 'verify and check everything, send nothing (no --key-file needed)' },
    ...chainOptions,
    ...jsonOption,
  },
  usage: `--key-file is the region authority's key (of a prefix above each venue).
With --shared, every record is verified before anything is reported: the EIP-712 signature
recovers the kiosk it names, for this chain and registry (else WAYMARK_ERR_ATTESTATION_INVALID);
that kiosk is authorized for the venue, isKiosk, or anchored this very batch for it before
being revoked (else WAYMARK_ERR_ATTESTATION_UNAUTHORIZED); the Merkle proof leads from the
attestation id to its root and that root is batchRoot(kiosk, seq) on chain (else
WAYMARK_ERR_PROOF_INVALID, or WAYMARK_ERR_SHARE_UNANCHORED when nothing was committed there).
A stay runs from the attested arrival to the check-out, else one hour. The verified stays at
one venue that overlap make one window [earliest arrival, latest departure]: one report per
venue and visit. The verified records are reported even when others are refused; every
refused record is listed with its code, and the exit code is then 1.
--json: { reported: [{ venueId, from, to, txHash, ... }], refused: [{ record, id, venueId, code, message }], failed: [...], ... }
Examples:
  waymark authority report --venue 12 --from 1767261600 --to 1767265200 --key-file region.json
  waymark authority report --shared alice.json --authority-secret-file seal.hex --key-file region.json --json
${EXIT_CODES}`,
  async run({ values }, io) {
    const dryRun = booleanFlag(values, 'dry-run');
    const sharedFile = stringFlag(values, 'shared');
    const byHand = ['venue', 'from', 'to'].filter((f) => stringFlag(values, f) !== undefined);
    if (sharedFile && byHand.length) usage(`--shared and --${byHand[0]} are two ways to report: give --shared FILE, or --venue, --from and --to`, byHand[0]);
    if (!sharedFile && !byHand.length) usage('give --shared FILE, or --venue ID --from UNIX --to UNIX', 'shared');
    if (!sharedFile && stringFlag(values, 'authority-secret-file')) usage('--authority-secret-file opens a sealed --shared file', 'authority-secret-file');
    const keyGiven = stringFlag(values, 'key-file') !== undefined;
    const needKey = () => {
      if (!dryRun && !keyGiven) usage("--key-file FILE is required (the region authority's key), unless --dry-run", 'key-file');
    };

    if (!sharedFile) {
      const venueId = venueIdFlag(values);
      const from = unixTimeFlag(values, 'from', { required: true })!;
      const to = unixTimeFlag(values, 'to', { required: true })!;
      if (from > to) usage(`--from ${from} is after --to ${to}`, 'from');
      needKey();
      const key = keyGiven ? await readSignerKey(values, io, 'key-file', 'passphrase-file', 'authority keystore') : undefined;
      return withChain(values, io, async (chain) => {
        const r = await reportWindow(chain.reader, { venueId, from, to }, { authority: key ? chain.as(key) : undefined, dryRun });
        const out = { dryRun, chainId: chain.chainId, registry: chain.registry, reported: r.reported ? [r.reported] : [], planned: [r.planned], refused: [], failed: [] };
        print(io, values, out, r.reported
          ? `venue ${venueId}: exposure ${utc(from)} .. ${utc(to)} reported, Infected until ${utc(r.reported.expiresAt)} unless cleaned\ntx ${r.reported.txHash}`
          : `venue ${venueId}: would report ${utc(from)} .. ${utc(to)}; dry run, nothing sent`);
        return 0;
      });
    }

    const file = resolve(io.cwd, sharedFile);
    if (!existsSync(file)) usage(`--shared: no such file: ${sharedFile}`, 'shared');
    needKey();
    const secret = stringFlag(values, 'authority-secret-file') !== undefined
      ? (await readSignerKey(values, io, 'authority-secret-file', 'passphrase-file', 'authority secret keystore')).privateKey
      : undefined;
    const { share, sealed } = await openShare(readFileSync(file, 'utf8'), secret);
    const key = keyGiven ? await readSignerKey(values, io, 'key-file', 'passphrase-file', 'authority keystore') : undefined;
    return withChain(values, io, async (chain) => {
      const r = await reportSharedCheckins(chain.reader, share, { chainId: chain.chainId, authority: key ? chain.as(key) : undefined, dryRun });
      const out = {
        dryRun, chainId: chain.chainId, registry: chain.registry, sealed, records: share.records.length,
        reported: r.reported, planned: r.planned, refused: r.refused, failed: r.failed, verified: r.verified, duplicates: r.duplicates,
      };
      print(io, values, out, describeShared(r, dryRun, share.records.length));
      return r.refused.length || r.failed.length ? 1 : 0;
    });
  },
};

function describeExposure(e: ListedExposure): string {
  return `venue ${e.venueId}  ${e.geohash}  ${utc(e.from)} .. ${utc(e.to)}  reported ${utc(e.reportedAt)} by ${e.authority}  expires ${utc(e.expiresAt)}  now ${e.status}  tx ${e.txHash}`;
}

const exposuresCommand: CliCommand = {
  name: 'authority exposures',
  summary: 'List reported exposures (ExposureReported events) with each venue geohash, by region prefix and time',
  options: {
    region: { type: 'string', description: 'only venues whose geohash starts with this prefix (1..8 characters)' },
    since: { type: 'string', description: 'only windows that end at or after this time, Unix seconds' },
    'from-block': { type: 'string', description: 'first block to read (default 0: the whole chain)' },
    'to-block': { type: 'string', description: 'last block to read (default: the latest)' },
    'chunk-blocks': { type: 'string', description: `blocks per eth_getLogs call; halved when the node refuses a range (default ${DEFAULT_CHUNK_BLOCKS})` },
    ...chainOptions,
    ...jsonOption,
  },
  usage: `Reads the registry's events in chunks (progress on stderr for long ranges); no indexer.
Every report is listed, also those a later report or a cleaning has overtaken: the status
column is the venue's status now. This is the same public list a visitor wallet downloads.
Example:
  waymark authority exposures --region u4pr --since 1767225600 --json
${EXIT_CODES}`,
  async run({ values }, io) {
    const region = geohashPrefixFlag(values, 'region');
    const since = unixTimeFlag(values, 'since');
    const fromBlock = intFlag(values, 'from-block', { min: 0, max: Number.MAX_SAFE_INTEGER });
    const toBlock = intFlag(values, 'to-block', { min: 0, max: Number.MAX_SAFE_INTEGER });
    const chunkBlocks = intFlag(values, 'chunk-blocks', { min: 1, max: 1_000_000 });
    if (fromBlock !== undefined && toBlock !== undefined && fromBlock > toBlock) usage(`--from-block ${fromBlock} is after --to-block ${toBlock}`, 'from-block');
    return withChain(values, io, async (chain) => {
      let shown = -1;
      const list = await listExposures(chain.reader, {
        region, since, fromBlock, toBlock, chunkBlocks, signal: io.signal,
        onProgress: (p) => {
          if (p.to - p.from + 1 >= p.toBlock - p.fromBlock + 1) return; // one chunk: nothing to show
          const pct = Math.floor(p.done * 10) * 10;
          if (pct === shown) return;
          shown = pct;
          io.stderr(`exposures: read blocks ${p.fromBlock}..${p.to} of ${p.toBlock} (${Math.floor(p.done * 100)} %)\n`);
        },
      });
      const out = { chainId: chain.chainId, registry: chain.registry, region: region ?? null, since: since ?? null, fromBlock: list.fromBlock, toBlock: list.toBlock, exposures: list.exposures };
      const head = `${list.exposures.length} exposure report(s)${region ? ` in ${region}` : ''}${since !== undefined ? ` ending at or after ${utc(since)}` : ''} (blocks ${list.fromBlock}..${list.toBlock})`;
      print(io, values, out, [head, ...list.exposures.map(describeExposure)].join('\n'));
      return 0;
    });
  },
};

const communityReportsCommand: CliCommand = {
  name: 'authority community-reports',
  summary: "Verify a file of anonymous community reports (LSAG ring signatures over the region's kiosk keys)",
  options: {
    file: { type: 'string', description: 'a JSON file (one report or a list) or the collector\'s JSON-lines file (docs/PROTOCOL.md "Community reports")' },
    region: { type: 'string', description: 'the community: its geohash prefix (1..8 characters)' },
    'allow-partial-ring': { type: 'boolean', description: "accept rings that hold only some of the region's kiosk keys" },
    ...chainOptions,
    ...jsonOption,
  },
  usage: `Checks each report's ring signature, that every ring key is an authorized kiosk of the
region (keys recovered from the kiosks' commitBatch transactions) and that no kiosk reported
twice in one epoch (same key image). Which kiosk signed stays unknown.
Example:
  waymark authority community-reports --file reports.json --rpc http://127.0.0.1:8545 --registry 0x... --region u4pr --json
${EXIT_CODES}`,
  async run({ values }, io) {
    const region = geohashPrefixFlag(values, 'region', { required: true })!;
    const fileFlag = stringFlag(values, 'file', { required: 'FILE' })!;
    const file = resolve(io.cwd, fileFlag);
    if (!existsSync(file)) usage(`--file: no such file: ${fileFlag}`, 'file');
    // a JSON report or list, or the collector's JSON lines
    const text = readFileSync(file, 'utf8');
    let reports: CommunityReport[];
    try {
      const parsed = JSON.parse(text) as unknown;
      reports = (Array.isArray(parsed) ? parsed : [parsed]) as CommunityReport[];
    } catch (err) {
      if (!text.trimStart().startsWith('{')) return usage(`--file: not JSON (${(err as Error).message})`, 'file');
      reports = readReportLines(text, fileFlag);
    }
    return withChain(values, io, async (chain) => {
      const community = await communityKeys(chain.reader, { region });
      const verdicts = verifyCommunityReports(reports, { region, acceptRing: communityRingCheck(community, { allowPartialRing: booleanFlag(values, 'allow-partial-ring') }) });
      const accepted = verdicts.filter((v) => v.ok);
      const out = {
        chainId: chain.chainId, registry: chain.registry, region, communityKiosks: community.kiosks.length, kiosksWithoutKey: community.withoutKey,
        reports: verdicts.map((v) => (v.ok
          ? { index: v.index, ok: true, epoch: v.report!.body.epoch, time: v.report!.body.time, occupancy: v.report!.body.occupancy, crowding: v.report!.body.crowding, ringSize: v.report!.ring.length, keyImage: v.report!.keyImage }
          : { index: v.index, ok: false, code: v.code, message: v.message, ...(v.linkedTo !== undefined ? { linkedTo: v.linkedTo } : {}) })),
      };
      const lines = [`${accepted.length} of ${verdicts.length} report(s) verified for region ${region} (${community.kiosks.length} kiosk key(s) in the community)`,
        ...verdicts.map((v) => (v.ok
          ? `#${v.index} ok  epoch ${v.report!.body.epoch}  ${utc(v.report!.body.time)}  occupancy ${v.report!.body.occupancy}  ${v.report!.body.crowding}  ring ${v.report!.ring.length}`
          : `#${v.index} refused  ${v.code}: ${v.message}`))];
      print(io, values, out, lines.join('\n'));
      return accepted.length === verdicts.length ? 0 : 1;
    });
  },
};

const communityCollectCommand: CliCommand = {
  name: 'authority community-collect',
  summary: 'Collect the kiosks\' anonymous community reports over HTTP into a JSON-lines file',
  options: {
    file: { type: 'string', description: 'the JSON-lines file reports are appended to (kept across restarts)' },
    region: { type: 'string', description: 'accept only reports of this community (geohash prefix)' },
    port: { type: 'string', description: 'TCP port to listen on (0 = any free port)', default: '8547' },
    host: { type: 'string', description: 'address to listen on', default: '127.0.0.1' },
  },
  usage: `Kiosks with community.reportUrl = http://HOST:PORT/v1/community-reports POST one signed report
an hour. A report whose ring signature verifies and whose key image is new for its epoch is
appended (fsynced) and answered 201; a second report of the same kiosk in one epoch is refused
with 409 (WAYMARK_ERR_RING_DOUBLE_REPORT), a bad signature with 400. Whether the ring is the
region's kiosks is checked against the registry by
  waymark authority community-reports --file FILE --region PREFIX --rpc URL --registry ADDR
Put it behind TLS (a reverse proxy) and have kiosks reach it through a shared relay: the ring
signature hides which kiosk signed, but the connection's address does not.
Runs until Ctrl-C / SIGTERM.
${EXIT_CODES}`,
  async run({ values }, io) {
    const fileFlag = stringFlag(values, 'file', { required: 'FILE' })!;
    const region = geohashPrefixFlag(values, 'region');
    const port = intFlag(values, 'port', { min: 0, max: 65535, required: true });
    const host = stringFlag(values, 'host', { required: true });
    const collector = buildCommunityCollector({ file: resolve(io.cwd, fileFlag), region });
    await collector.app.listen({ port, host });
    const address = collector.app.server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    io.stderr(`collecting community reports${region ? ` of region ${region}` : ''} at http://${host.includes(':') ? `[${host}]` : host}:${bound}/v1/community-reports into ${fileFlag} (${collector.stats().inFile} already there); Ctrl-C to stop\n`);
    await new Promise<void>((done) => io.signal.addEventListener('abort', () => done(), { once: true }));
    await collector.app.close();
    const s = collector.stats();
    io.stderr(`stopped: ${s.accepted} report(s) accepted, ${Object.values(s.refused).reduce((a, b) => a + (b ?? 0), 0)} refused; ${s.inFile} in ${fileFlag}\n`);
    return 0;
  },
};

const sealingKeyCommand: CliCommand = {
  name: 'authority sealing-key',
  summary: 'Print the public key visitors seal their shared check-ins to (--new: make the key first)',
  options: {
    'secret-file': { type: 'string', description: 'the sealing key FILE: a hex secret or a JSON keystore (written 0600 with --new)' },
    new: { type: 'boolean', description: 'make a fresh key in --secret-file (refused if the file exists)' },
    'passphrase-file': { type: 'string', description: `passphrase of a keystore (else $${ENV.OPERATOR_KEY_PASSPHRASE}, else asked on the terminal)` },
    ...jsonOption,
  },
  usage: `Visitors seal what they share with \`waymark visitor share --seal-to KEY\` (or the wallet's share
button) to the compressed public key printed here; only --authority-secret-file with this file
opens it (\`waymark authority report --shared F --authority-secret-file FILE\`). Keep the file off
the machine that holds the region's reporting key.
  waymark authority sealing-key --secret-file seal.hex --new
  waymark authority sealing-key --secret-file seal.hex --json
--json: { publicKey, secretFile, created }
${EXIT_CODES}`,
  async run({ values }, io) {
    const fileFlag = stringFlag(values, 'secret-file', { required: 'FILE' })!;
    const file = resolve(io.cwd, fileFlag);
    const created = booleanFlag(values, 'new');
    if (created) {
      if (existsSync(file)) throw new WaymarkError('WAYMARK_ERR_KEY_EXISTS', `${fileFlag}: a sealing key is there already; choose another file or drop --new`);
      writePlainKey(file, Wallet.createRandom());
    }
    const wallet = await readSignerKey(values, io, 'secret-file', 'passphrase-file', 'sealing keystore');
    const publicKey = SigningKey.computePublicKey(wallet.privateKey, true);
    print(io, values, { publicKey, secretFile: file, created },
      `${created ? `new sealing key written to ${fileFlag} (0600)\n` : ''}public key (visitors seal to it): ${publicKey}`);
    return 0;
  },
};

export const authorityCommands: CliCommand[] = [sealingKeyCommand, regionRegisterCommand, reportCommand, exposuresCommand, communityReportsCommand, communityCollectCommand];
