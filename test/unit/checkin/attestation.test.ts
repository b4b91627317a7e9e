/**
 * The attestation format: the kiosk's fast EIP-712 digest equals ethers' TypedDataEncoder,
 * ethers' verifyTypedData recovers the kiosk, and any change to the typed data breaks it.
 */
import t from 'tap';
import fc from 'fast-check';
import { TypedDataEncoder, Wallet, verifyTypedData } from 'ethers';
import { AttestationSigner } from '../../../kiosk/checkin/attestation-signer.js';
import { verifyAttestation, PRESENCE_KINDS, ATTESTATION_TYPE_STRING } from '../../../beacon/visitor/attestation.js';
import { KIOSK_KEY, REGISTRY, visitorHex } from './helpers.js';

const signer = new AttestationSigner({ key: KIOSK_KEY, chainId: 31337, verifyingContract: REGISTRY, venueId: 7, geohash: 'u4pruydqq' });

t.test('an attestation verifies with ethers alone', async (t) => {
  const att = signer.attest({ visitor: visitorHex(1), time: 1_777_636_800, presence: 'qr-token', seq: 0 });
  const { domain, types, message } = JSON.parse(JSON.stringify(att.typedData)); // as a client receives it
  t.equal(verifyTypedData(domain, types, message, att.signature), new Wallet(KIOSK_KEY).address);
  t.equal(TypedDataEncoder.hash(domain, types, message), att.id);
  t.equal(TypedDataEncoder.from(types).encodeType('CheckinAttestation'), ATTESTATION_TYPE_STRING);
  t.same(domain, { name: 'Waymark', version: '1', chainId: 31337, verifyingContract: REGISTRY });
  t.same(Object.keys(message).sort(), ['geohash', 'kiosk', 'presence', 'seq', 'time', 'venueId', 'visitor']);
  t.equal(att.signature.length, 132, '65 bytes r || s || v');
  t.same(verifyAttestation(att, { chainId: 31337, verifyingContract: REGISTRY, venueId: 7, visitor: visitorHex(1) }), { signer: signer.address, digest: att.id });
});

t.test('the fast digest equals TypedDataEncoder for any message', async (t) => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(...PRESENCE_KINDS), fc.nat(),
    (visitor, time, presence, seq) => {
      const att = signer.attest({ visitor: '0x' + Buffer.from(visitor).toString('hex'), time, presence, seq });
      const types = { CheckinAttestation: [...att.typedData.types.CheckinAttestation] };
      return TypedDataEncoder.hash(att.typedData.domain, types, att.typedData.message) === att.id
        && verifyTypedData(att.typedData.domain, types, att.typedData.message, att.signature) === signer.address;
    },
  ), { numRuns: 40 });
  t.pass('40 random messages agree');
});

t.test('tampering, a wrong domain or a foreign signer is refused', async (t) => {
  const att = signer.attest({ visitor: visitorHex(2), time: 1_777_636_800, presence: 'ble-tap', seq: 3 });
  const code = { code: 'WAYMARK_ERR_ATTESTATION_INVALID' };
  const clone = () => JSON.parse(JSON.stringify(att));
  const later = clone();
  later.typedData.message.time += 1;
  t.throws(() => verifyAttestation(later), code, 'time changed');
  const moved = clone();
  moved.typedData.message.geohash = 'u4pruydqr';
  t.throws(() => verifyAttestation(moved), code, 'geohash changed');
  t.throws(() => verifyAttestation(att, { chainId: 1 }), code, 'another chain expected');
  t.throws(() => verifyAttestation(att, { verifyingContract: '0x' + '11'.repeat(20) }), code, 'another registry expected');
  t.throws(() => verifyAttestation(att, { visitor: visitorHex(3) }), code, 'another commitment');
  const other = new AttestationSigner({ key: Wallet.createRandom().privateKey, chainId: 31337, verifyingContract: REGISTRY, venueId: 7, geohash: 'u4pruydqq' });
  const forged = other.attest({ visitor: visitorHex(2), time: 1_777_636_800, presence: 'ble-tap', seq: 3 });
  forged.typedData.message.kiosk = signer.address; // claims to be our kiosk
  t.throws(() => verifyAttestation(forged), code, 'signed by someone else');
  const badType = clone();
  badType.typedData.message.seq = '3';
  t.throws(() => verifyAttestation(badType), code, 'wrong field type');
});
