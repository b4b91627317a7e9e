/**
 * Fuzz properties of the visitor wallet parser (beacon/visitor/wallet.ts): arbitrary text and
 * wallet-shaped documents with arbitrary entries either parse into a wallet the visitor
 * commands can use (add an entry, verify each attestation) or are refused with
 * WAYMARK_ERR_FILE_FORMAT; a wallet of real entries survives a save/load round trip.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { verifyAttestation, type SignedCheckinAttestation } from '../../beacon/visitor/attestation.js';
import { emptyWallet, parseWallet, putEntry, VISITOR_WALLET_FORMAT, type VisitorWallet, type WalletEntry } from '../../beacon/visitor/wallet.js';
import { AttestationSigner } from '../../kiosk/checkin/attestation-signer.js';
import { parseOrRefuse, type FuzzProperty } from './harness.js';

/** anvil's public dev key #1: a test key, never a real one. */
const KIOSK_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

let attestations: SignedCheckinAttestation[] | undefined;
function realAttestations(): SignedCheckinAttestation[] {
  if (!attestations) {
    const signer = new AttestationSigner({ key: KIOSK_KEY, chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3', venueId: 7, geohash: 'u4pruydqq' });
    attestations = [1, 2, 3].map((i) => signer.attest({ visitor: '0x' + i.toString(16).padStart(64, '0'), time: 1_777_000_000 + i, presence: i === 2 ? 'ble-tap' : 'qr-token', seq: i }));
  }
  return attestations;
}

const realEntryArb: fc.Arbitrary<WalletEntry> = fc.record({
  i: fc.nat({ max: 2 }),
  kioskUrl: fc.webUrl(),
  storedAt: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
  signerCheck: fc.constantFrom('authorized on chain' as const, 'signature only' as const),
  proof: fc.option(fc.record({ leaf: fc.array(fc.string({ unit: fc.constantFrom(...'0123456789abcdef') })), leafEncoding: fc.constant(['bytes32'] as string[]), proof: fc.array(fc.constant('0x' + '11'.repeat(32)), { maxLength: 3 }), root: fc.constant('0x' + '22'.repeat(32)), seq: fc.nat(), txHash: fc.option(fc.constant('0x' + '33'.repeat(32))) }), { nil: undefined }),
}).map(({ i, proof, ...rest }) => ({ attestation: realAttestations()[i], ...rest, ...(proof ? { proof } : {}) }));

/** An entry with some part of it replaced by junk. */
const junkEntryArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.tuple(realEntryArb, fc.constantFrom('attestation', 'kioskUrl', 'storedAt', 'signerCheck'), fc.jsonValue({ maxDepth: 1 }))
    .map(([e, key, junk]) => ({ ...JSON.parse(JSON.stringify(e)), [key]: junk })),
  fc.tuple(realEntryArb, fc.constantFrom('id', 'typedData', 'signature'), fc.jsonValue({ maxDepth: 1 }))
    .map(([e, key, junk]) => { const c = JSON.parse(JSON.stringify(e)); c.attestation[key] = junk; return c; }),
  fc.tuple(realEntryArb, fc.constantFrom('domain', 'message', 'types', 'primaryType'), fc.jsonValue({ maxDepth: 1 }))
    .map(([e, key, junk]) => { const c = JSON.parse(JSON.stringify(e)); c.attestation.typedData[key] = junk; return c; }),
);

const walletTextArb = fc.oneof(
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 4, arbitrary: fc.record({
    format: fc.oneof({ weight: 6, arbitrary: fc.constant(VISITOR_WALLET_FORMAT) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }),
    entries: fc.oneof({ weight: 8, arbitrary: fc.array(fc.oneof(realEntryArb, junkEntryArb), { maxLength: 4 }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }),
  }).map((w) => JSON.stringify(w)) },
);

/** What `waymark visitor checkin` and `visitor proofs` do with a loaded wallet. */
function useWallet(wallet: VisitorWallet): void {
  assert.equal(wallet.format, VISITOR_WALLET_FORMAT);
  const added = putEntry(wallet, { attestation: realAttestations()[0], kioskUrl: 'http://kiosk.test', storedAt: new Date(0).toISOString(), signerCheck: 'signature only' });
  assert.ok(added.entries.length >= 1);
  for (const entry of wallet.entries) {
    assert.equal(typeof entry.kioskUrl, 'string');
    // `visitor proofs` reads the registry of each entry before verifying it
    void entry.attestation.typedData.domain.verifyingContract;
    parseOrRefuse('verifyAttestation(wallet entry)', ['WAYMARK_ERR_ATTESTATION_INVALID'], () => verifyAttestation(entry.attestation));
  }
}

const arbitraryWallets: FuzzProperty = {
  name: 'wallet: parseWallet on arbitrary text and damaged wallets gives a usable wallet or WAYMARK_ERR_FILE_FORMAT',
  runs: 3_000,
  build: () => ({
    property: fc.property(walletTextArb, (text) => {
      const r = parseOrRefuse('parseWallet', ['WAYMARK_ERR_FILE_FORMAT'], () => parseWallet(text));
      if (r.ok) useWallet(r.value);
    }),
  }),
};

const roundTrip: FuzzProperty = {
  name: 'wallet: a wallet of real entries saved as JSON parses back to itself',
  runs: 8_000,
  build: () => ({
    property: fc.property(fc.array(realEntryArb, { maxLength: 5 }), (entries) => {
      let wallet = emptyWallet();
      for (const e of entries) wallet = putEntry(wallet, e);
      const ids = new Set(entries.map((e) => e.attestation.id));
      assert.equal(wallet.entries.length, ids.size, 'one entry per attestation');
      const saved = JSON.stringify(wallet, null, 2);
      assert.deepEqual(parseWallet(saved), JSON.parse(saved));
    }),
  }),
};

export const walletProperties: FuzzProperty[] = [arbitraryWallets, roundTrip];
