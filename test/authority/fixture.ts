/**
 * Shared set-up for the authority suites: the dev chain of sim/dev-chain.ts (one anvil per
 * test file, the registry deployed by `waymark chain deploy`, no region yet), key files for every role in a temp dir,
 * and helpers that do what a kiosk does (sign attestations with its key, anchor a batch of
 * them with a StandardMerkleTree root over their ids) and what a visitor shares.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonRpcProvider, Wallet } from 'ethers';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { registryClient, type RegistryClient } from '../../contracts/client.js';
import { commitBatch } from '../../contracts/actions/commit-batch.js';
import { nextSeq } from '../../contracts/actions/next-seq.js';
import { AttestationSigner } from '../../kiosk/checkin/attestation-signer.js';
import { ATTESTATION_LEAF_ENCODING, attestationLeaf, type RecordProof } from '../../beacon/visitor/proofs.js';
import { SHARED_CHECKINS_FORMAT, type SharedCheckins, type SharedRecord } from '../../beacon/visitor/share.js';
import type { SignedCheckinAttestation } from '../../beacon/visitor/attestation.js';
import { cli } from '../helpers/cli.js';
import { devWallet, startDevNode, type DevNode, type DevRole } from '../../sim/dev-chain.js';

export interface AuthorityChain {
  dev: DevNode;
  provider: JsonRpcProvider;
  registry: string;
  chainId: number;
  dir: string;
  /** Hex key files (0600) per role; `stranger` is dev account 5. */
  keys: Record<DevRole | 'stranger', string>;
  wallets: Record<DevRole | 'stranger', Wallet>;
  reader: RegistryClient;
  /** `--rpc URL --registry ADDRESS` */
  chainFlags: string[];
  /** Latest block time. */
  now(): Promise<number>;
  stop(): Promise<void>;
}

export async function startAuthorityChain(dir: string): Promise<AuthorityChain> {
  const dev = await startDevNode({ pollingIntervalMs: 20 });
  const roles = ['admin', 'authority', 'operator', 'kiosk', 'stranger'] as const;
  const keys = {} as AuthorityChain['keys'];
  const wallets = {} as AuthorityChain['wallets'];
  for (const role of roles) {
    const wallet = devWallet(role === 'stranger' ? 5 : role, dev.provider);
    wallets[role] = wallet;
    keys[role] = join(dir, `${role}.hex`);
    writeFileSync(keys[role], wallet.privateKey + '\n', { mode: 0o600 });
  }
  // deployed as an operator would: `waymark chain deploy` with the admin's key, nothing else
  const deployed = await cli(['chain', 'deploy', '--rpc', dev.rpcUrl, '--key-file', keys.admin, '--json']);
  if (deployed.code !== 0) {
    await dev.stop();
    throw new Error(deployed.stderr);
  }
  const registry = JSON.parse(deployed.stdout).registry as string;
  return {
    dev,
    provider: dev.provider,
    registry,
    chainId: dev.chainId,
    dir,
    keys,
    wallets,
    reader: registryClient(dev.provider, registry),
    chainFlags: ['--rpc', dev.rpcUrl, '--registry', registry],
    now: async () => (await dev.provider.getBlock('latest'))!.timestamp,
    stop: () => dev.stop(),
  };
}

/** A kiosk at a venue: signs attestations with its key, as the check-in service does. */
export function kioskSigner(chain: AuthorityChain, venueId: number, geohash: string, key: Wallet = chain.wallets.kiosk): AttestationSigner {
  return new AttestationSigner({ key, chainId: chain.chainId, verifyingContract: chain.registry, venueId, geohash });
}

let visitorCounter = 0;
export function visitorCommitment(): string {
  return '0x' + (++visitorCounter).toString(16).padStart(64, 'a');
}

/** A batch tree over attestations, and each one's proof as the kiosk's proof API serves it. */
export function batchOf(atts: SignedCheckinAttestation[], seq: number, txHash: string | null = null): { root: string; proofs: RecordProof[] } {
  const tree = StandardMerkleTree.of(atts.map((a) => attestationLeaf(a)), [...ATTESTATION_LEAF_ENCODING]);
  return {
    root: tree.root,
    proofs: atts.map((a, i) => ({ leaf: attestationLeaf(a), leafEncoding: [...ATTESTATION_LEAF_ENCODING], proof: tree.getProof(i), root: tree.root, seq, txHash })),
  };
}

/** The kiosk anchors one batch over `atts` (its next seq) and returns each record's proof. */
export async function anchor(chain: AuthorityChain, venueId: number, atts: SignedCheckinAttestation[], kiosk: Wallet = chain.wallets.kiosk): Promise<RecordProof[]> {
  const client = registryClient(kiosk.connect(chain.provider), chain.registry);
  const seq = Number(await nextSeq(chain.reader, { kiosk: kiosk.address }));
  const { root } = batchOf(atts, seq);
  const times = atts.map((a) => a.typedData.message.time);
  const { txHash } = await commitBatch(client, { venueId, seq, merkleRoot: root, count: atts.length, fromTime: Math.min(...times), toTime: Math.max(...times) });
  return batchOf(atts, seq, txHash).proofs;
}

export function shareOf(records: SharedRecord[]): SharedCheckins {
  return { format: SHARED_CHECKINS_FORMAT, createdAt: Math.floor(Date.now() / 1000), records };
}

export function writeJson(dir: string, name: string, doc: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(doc, null, 2) + '\n');
  return path;
}
