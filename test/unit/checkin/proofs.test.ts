/**
 * The visitor's proof check against a locally built StandardMerkleTree, in the proof
 * format the batcher's route serves ({ leaf, leafEncoding, proof, root, seq, txHash }).
 */
import t from 'tap';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { AttestationSigner } from '../../../kiosk/checkin/attestation-signer.js';
import { ATTESTATION_LEAF_ENCODING, attestationLeaf, verifyRecordProof, type RecordProof } from '../../../beacon/visitor/proofs.js';
import { KIOSK_KEY, REGISTRY, visitorHex } from './helpers.js';

const signer = new AttestationSigner({ key: KIOSK_KEY, chainId: 31337, verifyingContract: REGISTRY, venueId: 7, geohash: 'u4pruydqq' });
const atts = Array.from({ length: 9 }, (_, i) => signer.attest({ visitor: visitorHex(i + 1), time: 1_777_636_800 + i, presence: 'qr-token', seq: i }));
const tree = StandardMerkleTree.of(atts.map(attestationLeaf), [...ATTESTATION_LEAF_ENCODING]);
const proofOf = (i: number): RecordProof => ({ leaf: attestationLeaf(atts[i]), leafEncoding: [...ATTESTATION_LEAF_ENCODING], proof: tree.getProof(i), root: tree.root, seq: 4, txHash: '0x' + 'ab'.repeat(32) });

t.test('every attestation of a batch proves against the root', async (t) => {
  for (let i = 0; i < atts.length; i++) {
    t.same(await verifyRecordProof(atts[i], proofOf(i)), { inTree: true, onChain: 'not checked', root: tree.root, seq: 4, txHash: '0x' + 'ab'.repeat(32) });
  }
});

t.test('the on-chain root must match when a reader is given', async (t) => {
  const seen: unknown[] = [];
  t.equal((await verifyRecordProof(atts[0], proofOf(0), async (kiosk, seq) => { seen.push([kiosk, seq]); return tree.root; })).onChain, 'matches');
  t.same(seen, [[signer.address, 4]], 'asks for (kiosk, seq)');
  t.equal((await verifyRecordProof(atts[0], proofOf(0), async () => '0x' + '00'.repeat(32))).onChain, 'not anchored');
  await t.rejects(verifyRecordProof(atts[0], proofOf(0), async () => '0x' + '12'.repeat(32)), { code: 'WAYMARK_ERR_PROOF_INVALID' });
});

t.test('a proof for another record, a broken path or another encoding is refused', async (t) => {
  const invalid = { code: 'WAYMARK_ERR_PROOF_INVALID' };
  await t.rejects(verifyRecordProof(atts[0], proofOf(1)), invalid, 'another leaf');
  const broken = proofOf(2);
  broken.proof[0] = '0x' + '00'.repeat(32);
  await t.rejects(verifyRecordProof(atts[2], broken), invalid, 'tampered sibling');
  await t.rejects(verifyRecordProof(atts[2], { ...proofOf(2), root: '0x' + '01'.repeat(32) }), invalid, 'another root');
  await t.rejects(verifyRecordProof(atts[2], { ...proofOf(2), leafEncoding: ['uint256'] }), invalid, 'another encoding');
  await t.rejects(verifyRecordProof(atts[2], { ...proofOf(2), proof: ['zz'] }), invalid, 'malformed hashes');
  await t.rejects(verifyRecordProof(atts[2], {} as RecordProof), invalid, 'not a proof');
});
