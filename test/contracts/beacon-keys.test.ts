/** Kiosks publish their beacon keys on chain; phones resolve the 8-byte id they hear to a key. */
import t from 'tap';
import { setBeaconKey } from '../../contracts/actions/set-beacon-key.js';
import { beaconKeyFor } from '../../contracts/actions/beacon-key-for.js';
import { listBeaconKeys } from '../../contracts/actions/list-beacon-keys.js';
import { revokeKiosk } from '../../contracts/actions/revoke-kiosk.js';
import { authorizeKiosk } from '../../contracts/actions/authorize-kiosk.js';
import { KioskBeacon, fromHex, toHex, verifyBeaconFrame } from '../../beacon/index.js';
import { setUpVenue, startChain, type ChainFixture } from './fixture.js';

let chain: ChainFixture;
let venueId: bigint;
t.before(async () => {
  chain = await startChain();
  venueId = await setUpVenue(chain);
});
t.teardown(async () => chain?.stop());

const beacon = new KioskBeacon({ secretKey: fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'), geohash: 'u4pruydqq' });

t.test('a kiosk publishes its key; a phone resolves the id it hears and verifies offline', async (t) => {
  await setBeaconKey(chain.roles.kiosk, { beaconKey: toHex(beacon.publicKey) });
  const found = await beaconKeyFor(chain.reader, { beaconId: toHex(beacon.kioskId) });
  t.ok(found);
  t.equal(found!.beaconKey, toHex(beacon.publicKey));
  t.equal(found!.venueId, venueId);
  t.equal(found!.kiosk, chain.addresses.kiosk);
  const epoch = beacon.at(Date.UTC(2026, 7, 1));
  const res = verifyBeaconFrame(epoch.frame, fromHex(found!.beaconKey), Date.UTC(2026, 7, 1) / 1000);
  t.equal(res.valid, true, 'the on-chain key verifies the frame');
  t.same(await listBeaconKeys(chain.reader), [{ beaconId: toHex(beacon.kioskId), beaconKey: toHex(beacon.publicKey), venueId, kiosk: chain.addresses.kiosk }], 'a phone downloads the key list');
});

t.test('only authorized kiosks publish keys; ids cannot be taken over; revoked kiosks resolve to nothing', async (t) => {
  await t.rejects(setBeaconKey(chain.roles.stranger, { beaconKey: toHex(beacon.publicKey) }), { code: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED' });
  await authorizeKiosk(chain.roles.operator, { venueId, kiosk: chain.addresses.kiosk2 });
  await t.rejects(setBeaconKey(chain.roles.kiosk2, { beaconKey: toHex(beacon.publicKey) }), { code: 'WAYMARK_ERR_CHAIN_CONFLICT' });
  await t.rejects(setBeaconKey(chain.roles.kiosk, { beaconKey: '00'.repeat(32) }), { code: 'WAYMARK_ERR_BAD_REQUEST' });
  await t.rejects(beaconKeyFor(chain.reader, { beaconId: 'xyz' }), { code: 'WAYMARK_ERR_BAD_REQUEST' });
  t.equal(await beaconKeyFor(chain.reader, { beaconId: '00'.repeat(8) }), null, 'unknown id');
  await revokeKiosk(chain.roles.operator, { venueId, kiosk: chain.addresses.kiosk });
  t.equal(await beaconKeyFor(chain.reader, { beaconId: toHex(beacon.kioskId) }), null, 'a revoked kiosk no longer vouches');
  t.same(await listBeaconKeys(chain.reader), [], 'and drops out of the list');
});
