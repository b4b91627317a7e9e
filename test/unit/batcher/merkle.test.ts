import t from 'tap';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { buildBatchTree, standardLeafHash } from '../../../kiosk/batcher/merkle.js';
import { SESSION_LEAF_ENCODING, sessionRecord } from '../../../kiosk/batcher/session-source.js';
import { ATTESTATION_LEAF_ENCODING, attestationRecord } from '../../../kiosk/batcher/attestation-source.js';
import { session, T0 } from './helpers.js';

t.test('the leaf hash is StandardMerkleTree\'s, so a one-encoding batch has the same root', async (t) => {
  const values = [1, 2, 3, 4, 5].map((i) => [`0x${i.toString(16).padStart(64, '0')}`]);
  const oz = StandardMerkleTree.of(values, ['bytes32']);
  const ours = buildBatchTree(values.map((v) => standardLeafHash(['bytes32'], v)));
  t.equal(ours.root, oz.root);
  t.equal(ours.length, 5);
});

t.test('a mixed batch: every record verifies with StandardMerkleTree.verify under its own encoding', async (t) => {
  const records = [
    ...[1, 2, 3].map((i) => sessionRecord(session(i, T0 + i * 1000))),
    ...[7, 8].map((i) => attestationRecord({ id: `0x${'ab'.repeat(31)}${i.toString(16).padStart(2, '0')}`, time: T0 / 1000, createdAt: T0 })),
  ];
  const tree = buildBatchTree(records.map((r) => standardLeafHash(r.leafEncoding, r.leaf)));
  for (const r of records) {
    const proof = tree.proof(standardLeafHash(r.leafEncoding, r.leaf));
    t.ok(StandardMerkleTree.verify(tree.root, [...r.leafEncoding], [...r.leaf], proof), r.id);
  }
  const s = records[0]!;
  const proof = tree.proof(standardLeafHash(s.leafEncoding, s.leaf));
  const forged = [...s.leaf];
  forged[8] = -5000; // a stronger mean RSSI
  t.notOk(StandardMerkleTree.verify(tree.root, [...s.leafEncoding], forged, proof), 'an altered leaf does not verify');
  t.notOk(StandardMerkleTree.verify(tree.root, [...ATTESTATION_LEAF_ENCODING], [forged[3]], proof), 'nor one re-encoded');
  t.same(s.leafEncoding, SESSION_LEAF_ENCODING);
});

t.test('a session leaf carries no address hash, only a blinded commitment', async (t) => {
  const s = session(42, T0, { addressHash: '0123456789abcdef0123456789abcdef' });
  const a = sessionRecord(s);
  const b = sessionRecord(s);
  const text = JSON.stringify(a.leaf);
  t.notMatch(text, /0123456789abcdef/, 'the address hash is not in the leaf');
  t.not(a.leaf[3], b.leaf[3], 'the same address under two blinds gives unlinkable commitments');
  t.same(a.leaf.slice(0, 3), ['waymark.session.v1', 42, 'resolvable']);
  t.same(a.leaf.slice(6), [40, -8025, -7050, -6100], 'samples and RSSI in centi-dBm');
  t.match(a.opening, { blind: /^0x[0-9a-f]{32}$/ });
});

t.test('an empty tree is refused', async (t) => {
  t.throws(() => buildBatchTree([]), RangeError);
});
