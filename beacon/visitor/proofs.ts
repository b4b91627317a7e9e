/**
 * Checks a check-in attestation's Merkle inclusion proof as the kiosk's proof API serves it
 * (`GET /v1/records/:id/proof`): the leaf is the attestation's EIP-712 digest, the proof
 * verifies against the root (OpenZeppelin StandardMerkleTree), and, when the caller can
 * read the chain, the root is what the kiosk committed under that batch seq.
 */
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { WaymarkError } from '../../core/errors.js';
import type { SignedCheckinAttestation } from './attestation.js';

/** How an attestation enters a batch tree: one `bytes32` value, its EIP-712 digest (= its id). */
export const ATTESTATION_LEAF_ENCODING = ['bytes32'] as const;

export function attestationLeaf(att: Pick<SignedCheckinAttestation, 'id'>): [string] {
  return [att.id.toLowerCase()];
}

/** The proof API's body for one record. */
export interface RecordProof {
  leaf: unknown[];
  leafEncoding: string[];
  /** Sibling hashes, leaf to root, 0x hex. */
  proof: string[];
  root: string;
  /** The kiosk's batch sequence number the root was committed under. */
  seq: number;
  /** The commit transaction, once anchored. */
  txHash: string | null;
}

export interface ProofCheck {
  /** The proof verifies against the root it names. */
  inTree: true;
  /**
   * 'matches': the on-chain root for (kiosk, seq) equals the proof's root; 'not anchored': no
   * root on chain for that seq yet; 'not checked': no chain reader given.
   */
  onChain: 'matches' | 'not anchored' | 'not checked';
  root: string;
  seq: number;
  txHash: string | null;
}

/** Reads `batchRoot(kiosk, seq)` on the registry (zero hash when nothing was committed). */
export type BatchRootReader = (kiosk: string, seq: number) => Promise<string>;

const ZERO_ROOT = '0x' + '0'.repeat(64);

/** Throws WAYMARK_ERR_PROOF_INVALID when any link is broken. */
export async function verifyRecordProof(att: SignedCheckinAttestation, proof: RecordProof, readRoot?: BatchRootReader): Promise<ProofCheck> {
  const invalid = (why: string, details?: Record<string, unknown>): never => {
    throw new WaymarkError('WAYMARK_ERR_PROOF_INVALID', why, details ? { details } : {});
  };
  if (!proof || !Array.isArray(proof.leaf) || !Array.isArray(proof.proof) || typeof proof.root !== 'string' || !Number.isSafeInteger(proof.seq)) {
    invalid('not a record proof ({ leaf, leafEncoding, proof, root, seq, txHash })');
  }
  if (JSON.stringify(proof.leafEncoding) !== JSON.stringify(ATTESTATION_LEAF_ENCODING)) invalid(`leafEncoding must be ${JSON.stringify(ATTESTATION_LEAF_ENCODING)}`);
  const expected = attestationLeaf(att);
  if (String(proof.leaf[0]).toLowerCase() !== expected[0]) invalid('the proof is for another record', { leaf: proof.leaf, expected });
  let ok = false;
  try {
    ok = StandardMerkleTree.verify(proof.root, [...ATTESTATION_LEAF_ENCODING], expected, proof.proof);
  } catch (err) {
    invalid(`proof is malformed (${(err as Error).message})`);
  }
  if (!ok) invalid('the proof does not lead to its root', { root: proof.root });
  let onChain: ProofCheck['onChain'] = 'not checked';
  if (readRoot) {
    const chainRoot = (await readRoot(att.typedData.message.kiosk, proof.seq)).toLowerCase();
    if (chainRoot === ZERO_ROOT) onChain = 'not anchored';
    else if (chainRoot !== proof.root.toLowerCase()) invalid(`on-chain root of batch ${proof.seq} differs from the proof's root`, { chainRoot, root: proof.root });
    else onChain = 'matches';
  }
  return { inTree: true, onChain, root: proof.root.toLowerCase(), seq: proof.seq, txHash: proof.txHash ?? null };
}
