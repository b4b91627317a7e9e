/**
 * `waymark visitor checkin`, `proofs`, `share` and `exposures`: the CLI acting as a visitor's
 * phone. It checks in at a kiosk over HTTP (QR path), verifies the attestation (signature,
 * and with --rpc that the signer is an authorized kiosk of the venue on chain), keeps it in
 * a wallet file, later fetches and verifies Merkle proofs against the on-chain roots, writes
 * the file a diagnosed visitor gives the health authority, and matches the registry's
 * exposure reports against the wallet locally (the browser wallet does the same: docs/WALLET.md).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CliCommand, CliIO, CliValues } from '../command.js';
import { WaymarkError, isWaymarkError } from '../../core/errors.js';
import { addressFlag, booleanFlag, stringFlag, urlFlag } from '../flags.js';
import {
  checkInOverHttp, emptyWallet, fetchRecordProof, parseCheckinUrl, parseWallet, putEntry, verifyAttestation, verifyRecordProof,
  describeMatch, fetchExposureReports, matchExposures, sealShare, EXPOSURE_LOOKBACK_S, SHARED_CHECKINS_FORMAT,
  checkOut, fetchCheckinToken, openVisitAt, tokenWindow,
  type SharedCheckins, type SignedCheckinAttestation, type VisitorCheckin, type VisitorWallet, type WalletEntry,
} from '../../beacon/visitor/index.js';
import { connectProvider, registryClient } from '../../contracts/client.js';
import { isKiosk } from '../../contracts/actions/is-kiosk.js';
import { assessStay } from '../../risk/presets.js';

/** The level of a venue stay and why (Corona-Warn-App presence tracing: overlap minutes x transmission risk). */
function riskOf(overlapS: number) {
  const a = assessStay({ overlapS });
  return { level: a.level, preset: a.preset, reason: a.reason };
}
import { batchRoot } from '../../contracts/actions/batch-root.js';

export const VISITOR_WALLET_ENV = 'WAYMARK_VISITOR_WALLET';

const common = {
  wallet: { type: 'string', description: `wallet file (default $${VISITOR_WALLET_ENV} or ~/.waymark/visitor-wallet.json)` },
  rpc: { type: 'string', description: 'JSON-RPC URL of the chain: check the signer with isKiosk / the roots with batchRoot' },
  registry: { type: 'string', description: 'WaymarkRegistry address you trust (default: the one the attestation names)' },
  json: { type: 'boolean', description: 'print one JSON object' },
} as const;

export function walletPath(values: CliValues, io: CliIO): string {
  const wallet = stringFlag(values, 'wallet');
  if (wallet !== undefined) return resolve(io.cwd, wallet);
  if (io.env[VISITOR_WALLET_ENV]) return resolve(io.cwd, io.env[VISITOR_WALLET_ENV]!);
  return join(io.env.HOME ?? io.cwd, '.waymark', 'visitor-wallet.json');
}

function loadWallet(path: string): VisitorWallet {
  return existsSync(path) ? parseWallet(readFileSync(path, 'utf8')) : emptyWallet();
}

function saveWallet(path: string, wallet: VisitorWallet): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(wallet, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

async function withChain<T>(rpc: string, run: (provider: ReturnType<typeof connectProvider>) => Promise<T>): Promise<T> {
  const provider = connectProvider(rpc);
  try {
    return await run(provider);
  } finally {
    provider.destroy();
  }
}

/** isKiosk(venueId, signer) on the registry the visitor trusts, on the attestation's chain. */
export async function checkSignerOnChain(att: SignedCheckinAttestation, rpc: string, registry?: string): Promise<void> {
  const { domain, message } = att.typedData;
  await withChain(rpc, async (provider) => {
    const chainId = Number((await provider.getNetwork()).chainId);
    if (chainId !== domain.chainId) {
      throw new WaymarkError('WAYMARK_ERR_ATTESTATION_INVALID', `the attestation is for chain ${domain.chainId}, the RPC serves chain ${chainId}`);
    }
    const authorized = await isKiosk(registryClient(provider, registry ?? domain.verifyingContract), { venueId: message.venueId, kiosk: message.kiosk });
    if (!authorized) {
      throw new WaymarkError('WAYMARK_ERR_ATTESTATION_UNAUTHORIZED', `${message.kiosk} is not a kiosk of venue ${message.venueId} on registry ${registry ?? domain.verifyingContract}`, {
        details: { kiosk: message.kiosk, venueId: message.venueId },
      });
    }
  });
}

export const visitorCheckinCommand: CliCommand = {
  name: 'visitor checkin',
  summary: 'Check in at a kiosk as a phone would (QR path), verify the attestation and keep it in a wallet file',
  options: {
    kiosk: { type: 'string', description: 'kiosk base URL (e.g. http://kiosk.local:8080), or a scanned check-in URL (required)' },
    ...common,
  },
  usage: `Reads the kiosk's current token (or the one in a scanned check-in URL), sends a fresh random
visitor commitment, verifies the EIP-712 signature and, with --rpc, that the signer is an authorized
kiosk of the venue (isKiosk). Exit 0 on a verified, stored attestation.
Example:
  waymark visitor checkin --kiosk http://localhost:8080 --rpc http://127.0.0.1:8545 --json`,
  async run({ values }, io) {
    let kioskUrl = urlFlag(values, 'kiosk', { required: 'URL' });
    const registry = addressFlag(values, 'registry');
    const rpc = urlFlag(values, 'rpc');
    let token: string | undefined;
    if (/\/checkin\?|#kiosk=/.test(kioskUrl)) ({ kioskUrl, token } = parseCheckinUrl(kioskUrl));
    const result = await checkInOverHttp(kioskUrl, { token });
    if (registry) verifyAttestation(result.attestation, { verifyingContract: registry });
    if (rpc) await checkSignerOnChain(result.attestation, rpc, registry);
    const entry: WalletEntry = {
      attestation: result.attestation,
      kioskUrl: kioskUrl.replace(/\/+$/, ''),
      storedAt: new Date().toISOString(),
      signerCheck: rpc ? 'authorized on chain' : 'signature only',
      // the kiosk's median visit length, the stay assumed if the visitor does not check out
      ...(typeof result.tokenResponse?.dwellMedianS === 'number' && result.tokenResponse.dwellMedianS > 0 ? { kioskDwellS: result.tokenResponse.dwellMedianS } : {}),
    };
    const path = walletPath(values, io);
    saveWallet(path, putEntry(loadWallet(path), entry));
    const m = result.attestation.typedData.message;
    if (booleanFlag(values, 'json')) {
      io.stdout(JSON.stringify({ ok: true, id: result.attestation.id, signer: result.verified.signer, signerCheck: entry.signerCheck, wallet: path, attestation: result.attestation }) + '\n');
    } else {
      io.stdout(`checked in at venue ${m.venueId} (${m.geohash}) ${new Date(m.time * 1000).toISOString()} via ${m.presence}\n`);
      io.stdout(`  attestation ${result.attestation.id}\n  kiosk ${m.kiosk} (${entry.signerCheck})\n  stored in ${path}\n`);
    }
    return 0;
  },
};

export const visitorProofsCommand: CliCommand = {
  name: 'visitor proofs',
  summary: 'Fetch and verify the Merkle proofs of the attestations in the wallet (against on-chain roots with --rpc)',
  options: { ...common },
  usage: `For each stored attestation: GET <kiosk>/v1/records/<id>/proof; a 404 means "not batched yet"
(pending). A proof must be for the attestation's leaf, lead to its root, and with --rpc the root must
equal batchRoot(kiosk, seq) on chain. Exit 1 when any proof is invalid.
Example:
  waymark visitor proofs --rpc http://127.0.0.1:8545 --json`,
  async run({ values }, io) {
    const path = walletPath(values, io);
    let wallet = loadWallet(path);
    const rpc = urlFlag(values, 'rpc');
    const trusted = addressFlag(values, 'registry');
    const provider = rpc ? connectProvider(rpc) : undefined;
    const results: { id: string; status: 'anchored' | 'in batch' | 'pending' | 'invalid' | 'unreachable'; seq?: number; root?: string; txHash?: string | null; error?: string; code?: string }[] = [];
    try {
      for (const entry of wallet.entries) {
        const att = entry.attestation;
        const registry = trusted ?? att.typedData.domain.verifyingContract;
        const readRoot = provider ? (kiosk: string, seq: number) => batchRoot(registryClient(provider, registry), { kiosk, seq }) : undefined;
        try {
          verifyAttestation(att);
          const proof = await fetchRecordProof(entry.kioskUrl, att.id);
          if (!proof) {
            results.push({ id: att.id, status: 'pending' });
            continue;
          }
          const check = await verifyRecordProof(att, proof, readRoot);
          wallet = putEntry(wallet, { ...entry, proof, proofCheck: check });
          results.push({ id: att.id, status: check.onChain === 'matches' ? 'anchored' : 'in batch', seq: check.seq, root: check.root, txHash: check.txHash });
        } catch (err) {
          if (!isWaymarkError(err)) throw err;
          results.push({ id: att.id, status: err.code === 'WAYMARK_ERR_KIOSK_UNREACHABLE' ? 'unreachable' : 'invalid', code: err.code, error: err.message });
        }
      }
    } finally {
      provider?.destroy();
    }
    if (wallet.entries.length) saveWallet(path, wallet);
    const invalid = results.filter((r) => r.status === 'invalid').length;
    if (booleanFlag(values, 'json')) {
      io.stdout(JSON.stringify({ ok: invalid === 0, wallet: path, onChain: rpc ? 'checked' : 'not checked', proofs: results }) + '\n');
    } else {
      if (results.length === 0) io.stdout(`no attestations in ${path}\n`);
      for (const r of results) io.stdout(`${r.id}  ${r.status}${r.seq !== undefined ? `  batch ${r.seq}` : ''}${r.txHash ? `  tx ${r.txHash}` : ''}${r.error ? `  ${r.error}` : ''}\n`);
    }
    return invalid === 0 ? 0 : 1;
  },
};

export const visitorCheckoutCommand: CliCommand = {
  name: 'visitor checkout',
  summary: 'Leaving: scan the kiosk again and record the departure in the wallet file (nothing is sent)',
  options: {
    kiosk: { type: 'string', description: 'kiosk base URL, or a scanned check-in URL (required)' },
    wallet: common.wallet,
    json: common.json,
  },
  usage: `Reads the kiosk's current token (or the one in a scanned URL), checks its signature on this
machine, and closes the newest open check-in (under 12 h old) signed by that same kiosk: its
checkoutTime is now, held inside the token's signed window. The kiosk sees a token read, no more.
Example:
  waymark visitor checkout --kiosk http://localhost:8080 --json`,
  async run({ values }, io) {
    let kioskUrl = urlFlag(values, 'kiosk', { required: 'URL' });
    let token: string | undefined;
    if (/\/checkin\?|#kiosk=/.test(kioskUrl)) ({ kioskUrl, token } = parseCheckinUrl(kioskUrl));
    const scan = tokenWindow(token ?? (await fetchCheckinToken(kioskUrl)).token);
    const path = walletPath(values, io);
    const wallet = loadWallet(path);
    const now = Math.floor(Date.now() / 1000);
    const open = openVisitAt(wallet.entries, scan, now);
    if (!open) throw new WaymarkError('WAYMARK_ERR_NOT_FOUND', `no open check-in at kiosk ${scan.kiosk} in ${path} (one under 12 h old, not checked out)`);
    const closed = checkOut(open, scan, now);
    saveWallet(path, putEntry(wallet, closed));
    const m = closed.attestation.typedData.message;
    if (booleanFlag(values, 'json')) {
      io.stdout(JSON.stringify({ ok: true, id: closed.attestation.id, venueId: m.venueId, arrival: m.time, checkoutTime: closed.checkoutTime, wallet: path }) + '\n');
    } else {
      io.stdout(`checked out of venue ${m.venueId} (${m.geohash}) after ${Math.round((closed.checkoutTime! - m.time) / 60)} min\n`);
    }
    return 0;
  },
};

function writePrivateFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

export const visitorShareCommand: CliCommand = {
  name: 'visitor share',
  summary: 'Write the file a diagnosed visitor gives the health authority: attestations with their proofs, optionally sealed to its key',
  options: {
    wallet: common.wallet,
    out: { type: 'string', description: 'the file to write (required)' },
    'seal-to': { type: 'string', description: "the authority's secp256k1 public key, hex: only its key opens the file" },
    json: common.json,
  },
  usage: `Only check-ins whose Merkle proof the wallet holds are shared (run \`waymark visitor proofs\` first);
the others are counted as left out. Check-out times go along. The format is ${SHARED_CHECKINS_FORMAT}
(beacon/visitor/share.ts); with --seal-to it is sealed (ECIES: ECDH, HKDF-SHA256, AES-256-GCM).
Example:
  waymark visitor share --out shared.json --seal-to 02ab…`,
  async run({ values }, io) {
    const out = resolve(io.cwd, stringFlag(values, 'out', { required: 'FILE' }));
    const sealTo = stringFlag(values, 'seal-to');
    const path = walletPath(values, io);
    const wallet = loadWallet(path);
    const withProofs = wallet.entries.filter((e) => e.proof);
    const share: SharedCheckins = {
      format: SHARED_CHECKINS_FORMAT,
      createdAt: Math.floor(Date.now() / 1000),
      records: withProofs.map((e) => ({ attestation: e.attestation, proof: e.proof!, ...(e.checkoutTime !== undefined ? { checkoutTime: e.checkoutTime } : {}) })),
    };
    const doc = sealTo ? await sealShare(share, sealTo) : share;
    writePrivateFile(out, JSON.stringify(doc, null, 2) + '\n');
    const leftOut = wallet.entries.length - withProofs.length;
    if (booleanFlag(values, 'json')) {
      io.stdout(JSON.stringify({ ok: true, out, records: withProofs.length, leftOut, sealed: Boolean(sealTo), wallet: path }) + '\n');
    } else {
      io.stdout(`${withProofs.length} check-in(s) with proofs written to ${out}${sealTo ? ' (sealed to the authority key)' : ''}\n`);
      if (leftOut) io.stdout(`${leftOut} left out: no proof yet (run \`waymark visitor proofs\` once the kiosk has anchored them)\n`);
    }
    return 0;
  },
};

export const visitorExposuresCommand: CliCommand = {
  name: 'visitor exposures',
  summary: "Download the registry's exposure reports (eth_getLogs, no venue in the request) and match them against the wallet locally",
  options: {
    wallet: common.wallet,
    rpc: { type: 'string', description: 'JSON-RPC URL of the chain (required)' },
    registry: { type: 'string', description: 'the WaymarkRegistry whose ExposureReported events to read (required)' },
    json: common.json,
  },
  usage: `Reads every ExposureReported event of the registry from the last 14 days (the request names
the registry and the event only) and matches the wallet's check-ins on that registry locally. A stay
ends at the check-out, else the kiosk's median visit length, else one hour ("departure" says which).
Exit 0 whether or not anything matched; see "matches".
Example:
  waymark visitor exposures --rpc http://127.0.0.1:8545 --registry 0x5FbD… --json`,
  async run({ values }, io) {
    const rpcUrl = urlFlag(values, 'rpc', { required: 'URL' });
    const registry = addressFlag(values, 'registry', { required: 'ADDRESS' });
    const path = walletPath(values, io);
    const wallet = loadWallet(path);
    const now = Math.floor(Date.now() / 1000);
    const download = await fetchExposureReports({ rpcUrl, registry, now });
    const mine = wallet.entries.filter((e) => e.attestation.typedData.domain.verifyingContract.toLowerCase() === registry.toLowerCase()
      && e.attestation.typedData.domain.chainId === download.chainId);
    const checkins: VisitorCheckin[] = mine.map((e) => {
      const m = e.attestation.typedData.message;
      return {
        id: e.attestation.id, venueId: m.venueId, geohash: m.geohash, time: m.time,
        ...(e.checkoutTime !== undefined ? { checkoutTime: e.checkoutTime } : {}),
        ...(e.kioskDwellS !== undefined ? { kioskDwellS: e.kioskDwellS } : {}),
      };
    });
    const matches = matchExposures(checkins, download.reports, { since: now - EXPOSURE_LOOKBACK_S });
    if (booleanFlag(values, 'json')) {
      io.stdout(JSON.stringify({
        matches: matches.map((m) => ({ venueId: m.venueId, geohash: m.geohash, from: m.from, to: m.to, overlapS: m.overlapS, departure: m.departure, risk: riskOf(m.overlapS) })),
        reports: download.reports.length, checkins: checkins.length, otherCheckins: wallet.entries.length - checkins.length,
        chainId: download.chainId, fromBlock: download.fromBlock, toBlock: download.toBlock, wallet: path,
      }) + '\n');
    } else {
      io.stdout(`${download.reports.length} exposure report(s) on ${registry} (blocks ${download.fromBlock}..${download.toBlock}) against ${checkins.length} check-in(s)\n`);
      if (matches.length === 0) io.stdout('no exposure found\n');
      for (const m of matches) {
        const risk = riskOf(m.overlapS);
        io.stdout(`! ${describeMatch(m)}\n  risk ${risk.level} (${risk.preset}): ${risk.reason}\n`);
      }
    }
    return 0;
  },
};

export const visitorCommands: CliCommand[] = [visitorCheckinCommand, visitorCheckoutCommand, visitorProofsCommand, visitorShareCommand, visitorExposuresCommand];
