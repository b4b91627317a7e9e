/**
 * Exposure-report benchmarks on one local anvil: how many shared records the health
 * authority verifies per second (EIP-712 signature recovered with ethers, signer authorized
 * on chain, Merkle proof to a root read from the chain; chain reads cached per batch, so a
 * share costs one isKiosk per kiosk and one batchRoot per batch), and the gas of one report.
 */
import { randomBytes } from 'node:crypto';
import { registryClient } from '../contracts/client.js';
import { commitBatch } from '../contracts/actions/commit-batch.js';
import { reportExposure } from '../contracts/actions/report-exposure.js';
import { AttestationSigner } from '../kiosk/checkin/attestation-signer.js';
import { SHARED_CHECKINS_FORMAT, type SharedCheckins, type SharedRecord } from '../beacon/visitor/share.js';
import { ATTESTATION_LEAF_ENCODING, attestationLeaf } from '../beacon/visitor/proofs.js';
import { cachedAnchorReader, verifySharedRecords } from '../authority/shared-records.js';
import { DEV_GEOHASH, deployDevRegistry, devWallet, setUpDevVenue, startDevNode } from '../sim/dev-chain.js';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import type { BenchFigure, BenchGroup } from './types.js';

const RECORDS_PER_BATCH = 500;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export const group: BenchGroup = {
  name: 'exposure-report',
  async run({ quick, log }) {
    const records = quick ? 500 : 2000;
    const rounds = quick ? 2 : 3;
    const dev = await startDevNode({ pollingIntervalMs: 20 });
    try {
      const registry = await deployDevRegistry(dev.provider);
      const venueId = Number(await setUpDevVenue(dev.provider, registry));
      const kioskWallet = devWallet('kiosk', dev.provider);
      const kioskClient = registryClient(kioskWallet, registry);
      const signer = new AttestationSigner({ key: kioskWallet, chainId: dev.chainId, verifyingContract: registry, venueId, geohash: DEV_GEOHASH });
      const now = (await dev.provider.getBlock('latest'))!.timestamp;

      // what one diagnosed visitor (or many, merged) could share: `records` anchored check-ins
      log(`signing and anchoring ${records} attestations in batches of ${RECORDS_PER_BATCH}`);
      const shared: SharedRecord[] = [];
      for (let seq = 0; seq * RECORDS_PER_BATCH < records; seq++) {
        const atts = Array.from({ length: Math.min(RECORDS_PER_BATCH, records - seq * RECORDS_PER_BATCH) }, (_, i) =>
          signer.attest({ visitor: '0x' + randomBytes(32).toString('hex'), time: now - 7200 + seq * 10 + (i % 10), presence: 'qr-token', seq: seq * RECORDS_PER_BATCH + i }));
        const tree = StandardMerkleTree.of(atts.map((a) => attestationLeaf(a)), [...ATTESTATION_LEAF_ENCODING]);
        const { txHash } = await commitBatch(kioskClient, { venueId, seq, merkleRoot: tree.root, count: atts.length, fromTime: now - 7200, toTime: now - 7200 + seq * 10 + 9 });
        atts.forEach((a, i) => shared.push({ attestation: a, proof: { leaf: attestationLeaf(a), leafEncoding: [...ATTESTATION_LEAF_ENCODING], proof: tree.getProof(i), root: tree.root, seq, txHash } }));
      }
      const share: SharedCheckins = { format: SHARED_CHECKINS_FORMAT, createdAt: now, records: shared };
      const reader = registryClient(dev.provider, registry);

      // each round starts with an empty cache: its chain reads are part of the figure
      const rates: number[] = [];
      for (let round = 0; round <= rounds; round++) {
        const start = performance.now();
        const v = await verifySharedRecords(share, cachedAnchorReader(reader), { chainId: dev.chainId, registry });
        const seconds = (performance.now() - start) / 1000;
        if (v.verified.length !== records) throw new Error(`bench: ${v.refused.length} records refused: ${v.refused[0]?.message}`);
        if (round > 0) rates.push(records / seconds); // round 0 warms up
      }
      const rate = median(rates);
      log(`verified ${records} records ${rounds} times: ${rates.map((r) => Math.round(r)).join(', ')} /s`);

      const authority = registryClient(devWallet('authority', dev.provider), registry);
      const { gasUsed } = await reportExposure(authority, { venueId, fromTime: now - 7200, toTime: now - 3600 });
      const { gasUsed: again } = await reportExposure(authority, { venueId, fromTime: now - 3000, toTime: now - 2000 });
      const figures: BenchFigure[] = [
        { bench: 'exposure.report_verify_per_s', value: rate, unit: 'records/s', records, batches: Math.ceil(records / RECORDS_PER_BATCH), rounds },
        { bench: 'exposure.report_gas', value: Number(gasUsed), unit: 'gas', note: 'reportExposure, Clean -> Infected', again: Number(again) },
      ];
      return figures;
    } finally {
      await dev.stop();
    }
  },
};
