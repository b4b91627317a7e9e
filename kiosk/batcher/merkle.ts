/**
 * Batch Merkle trees: OpenZeppelin's standard leaf hash (double keccak of the ABI-encoded
 * leaf) per record, each record with its own encoding, combined with OpenZeppelin's sorted
 * pair hash. Any record's proof verifies with `StandardMerkleTree.verify(root, leafEncoding,
 * leaf, proof)` or Solidity's `MerkleProof.verify`.
 */
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import { AbiCoder, keccak256 } from 'ethers';

/** keccak256(keccak256(abi.encode(types, values))): StandardMerkleTree's leaf hash. */
export function standardLeafHash(encoding: readonly string[], leaf: readonly unknown[]): string {
  return keccak256(keccak256(AbiCoder.defaultAbiCoder().encode([...encoding], [...leaf])));
}

export interface BatchTree {
  root: string;
  /** Number of leaves. */
  length: number;
  /** Sibling hashes from the leaf up to the root. */
  proof(leafHash: string): string[];
}

/** The tree over a batch's leaf hashes (order does not matter: leaves are sorted). */
export function buildBatchTree(leafHashes: readonly string[]): BatchTree {
  if (leafHashes.length === 0) throw new RangeError('a batch tree needs at least one leaf');
  const tree = SimpleMerkleTree.of(leafHashes.map((h) => h.toLowerCase()));
  return {
    root: tree.root,
    length: tree.length,
    proof: (leafHash) => tree.getProof(leafHash.toLowerCase()),
  };
}
