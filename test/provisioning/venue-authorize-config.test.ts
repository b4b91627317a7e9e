import t from 'tap';
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { isKiosk } from '../../contracts/actions/is-kiosk.js';
import { getVenue } from '../../contracts/actions/get-venue.js';
import { verifyDeviceCertificate } from '../../contracts/device-certificate.js';
import { kioskFiles } from '../../core/data-dir.js';
import { venueMetadataHash } from '../../provisioning/venue.js';
import { cli } from '../helpers/cli.js';
import { startProvisioningChain, cliJson, IN_REGION, LONDON, type ProvisioningChain } from './chain.js';

let chain: ProvisioningChain;
let dir: string;
t.before(async () => {
  dir = t.testdir({ 'pass.txt': 'operator passphrase 1\n' });
  chain = await startProvisioningChain(dir);
});
t.teardown(() => chain.stop());

async function venueAt(coords: { lat: string; lon: string }, extra: string[] = []): Promise<string> {
  const r = await cliJson(['provision', 'venue', 'register', '--name', 'Hall', `--lat=${coords.lat}`, `--lon=${coords.lon}`, '--operator-key', chain.operatorKeyFile, ...chain.chainFlags, ...extra]);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.body.venueId;
}

t.test('venue register: geohash-9 from coordinates, on chain beneath the region, metadata hashed', async (t) => {
  const r = await cliJson(['provision', 'venue', 'register', '--name', 'Skagen Hall', '--lat', IN_REGION.lat, '--lon', IN_REGION.lon, '--capacity', '250', '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.body.geohash, IN_REGION.geohash);
  t.equal(r.body.region, 'u4pr');
  const onChain = await getVenue(chain.reader, { venueId: BigInt(r.body.venueId) });
  t.equal(onChain.geohash, IN_REGION.geohash);
  t.equal(onChain.operator, chain.operator.address);
  t.equal(onChain.metadataHash, venueMetadataHash({ name: 'Skagen Hall', latitude: 57.64911, longitude: 10.40744, capacity: 250 }));

  const human = await cli(['provision', 'venue', 'register', '--name', 'Annex', '--lat', IN_REGION.lat, '--lon', IN_REGION.lon, '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  t.equal(human.code, 0);
  t.match(human.stdout, /venue \d+ registered: "Annex" at u4pruydqq \(region u4pr\)/);
});

t.test('venue register: invalid coordinates are refused before any transaction (exit 2)', async (t) => {
  const before = await chain.provider.getTransactionCount(chain.operator.address);
  for (const [lat, lon, field] of [['91', '10', 'lat'], ['-90.5', '10', 'lat'], ['north', '10', 'lat'], ['', '10', 'lat'], ['45', '180.01', 'lon'], ['45', '1e3', 'lon'], ['45', 'NaN', 'lon']]) {
    const r = await cliJson(['provision', 'venue', 'register', '--name', 'X', `--lat=${lat}`, `--lon=${lon}`, '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
    t.equal(r.code, 2, `${lat},${lon}`);
    t.equal(r.body?.error.code, 'WAYMARK_ERR_COORDINATES_INVALID', `${lat},${lon}`);
    t.equal(r.body?.error.details.field, field);
  }
  const noLat = await cli(['provision', 'venue', 'register', '--name', 'X', '--lon', '3', '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  t.equal(noLat.code, 2);
  const capacity = await cli(['provision', 'venue', 'register', '--name', 'X', '--lat', '1', '--lon', '1', '--capacity', '-3', '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  t.equal(capacity.code, 2);
  t.equal(await chain.provider.getTransactionCount(chain.operator.address), before, 'no transaction sent');
});

t.test('venue register: a cell outside the signer\'s region needs the region authority key', async (t) => {
  const r = await cliJson(['provision', 'venue', 'register', '--name', 'London', `--lat=${LONDON.lat}`, `--lon=${LONDON.lon}`, '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  t.equal(r.code, 2);
  t.equal(r.body.error.code, 'WAYMARK_ERR_CHAIN_UNAUTHORIZED');
  t.match(r.stderr, '--authority-key');
  const ok = await cliJson(['provision', 'venue', 'register', '--name', 'London', `--lat=${LONDON.lat}`, `--lon=${LONDON.lon}`, '--operator-key', chain.operatorKeyFile, '--authority-key', chain.authorityKeyFile, ...chain.chainFlags]);
  t.equal(ok.code, 0, ok.stderr);
  t.equal(ok.body.region, 'gcpv');
  t.equal(ok.body.operator, chain.operator.address, 'the operator, not the authority, runs the venue');
});

t.test('missing or locked operator keys, missing chain settings', async (t) => {
  let r = await cliJson(['provision', 'venue', 'register', '--name', 'X', '--lat', '1', '--lon', '1', '--operator-key', join(dir, 'nope.hex'), ...chain.chainFlags]);
  t.equal(r.code, 2);
  t.equal(r.body.error.code, 'WAYMARK_ERR_KEY_NOT_FOUND');
  const keystore = join(dir, 'operator.json');
  writeFileSync(keystore, await new Wallet(chain.operator.privateKey).encrypt('operator passphrase 1'), { mode: 0o600 });
  writeFileSync(join(dir, 'wrong.txt'), 'not the passphrase\n');
  r = await cliJson(['provision', 'venue', 'register', '--name', 'X', '--lat', IN_REGION.lat, '--lon', IN_REGION.lon, '--operator-key', keystore, '--operator-passphrase-file', join(dir, 'wrong.txt'), ...chain.chainFlags]);
  t.equal(r.code, 2, 'wrong passphrase');
  t.equal(r.body.error.code, 'WAYMARK_ERR_KEY_PASSPHRASE');
  t.notMatch(r.stdout + r.stderr, 'not the passphrase', 'the passphrase is not echoed back');
  r = await cliJson(['provision', 'venue', 'register', '--name', 'X', '--lat', IN_REGION.lat, '--lon', IN_REGION.lon, '--operator-key', keystore, '--operator-passphrase-file', join(dir, 'pass.txt'), ...chain.chainFlags]);
  t.equal(r.code, 0, 'the right passphrase opens the operator keystore');
  r = await cliJson(['provision', 'venue', 'register', '--name', 'X', '--lat', '1', '--lon', '1', '--operator-key', chain.operatorKeyFile]);
  t.equal(r.code, 2);
  t.match(r.stderr, '--rpc');
  r = await cliJson(['provision', 'venue', 'register', '--name', 'X', '--lat', IN_REGION.lat, '--lon', IN_REGION.lon, '--operator-key', chain.operatorKeyFile, '--rpc', 'http://127.0.0.1:9', '--registry', chain.registry]);
  t.equal(r.code, 1, 'a dead node is a failed operation');
  t.equal(r.body.error.code, 'WAYMARK_ERR_CHAIN_UNAVAILABLE');
});

t.test('kiosk authorize: certificate signed by the operator, stored in the data dir, kiosk authorized', async (t) => {
  const venueId = await venueAt(IN_REGION);
  const dataDir = join(dir, 'kiosk-a');
  const init = await cliJson(['provision', 'init', '--data-dir', dataDir, '--plain-key']);
  const kiosk = init.body.address;
  const r = await cliJson(['provision', 'kiosk', 'authorize', '--venue', venueId, '--data-dir', dataDir, '--operator-key', chain.operatorKeyFile, '--fund', '0.25', ...chain.chainFlags]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.body.kiosk, kiosk, 'the kiosk address is read from the data dir');
  t.ok(await isKiosk(chain.reader, { venueId: BigInt(venueId), kiosk }));
  t.equal(await chain.provider.getBalance(kiosk), 250_000_000_000_000_000n, 'funded for gas');
  const cert = JSON.parse(readFileSync(kioskFiles(dataDir).certificate, 'utf8'));
  const verdict = verifyDeviceCertificate(cert, { kiosk, venueId: BigInt(venueId), geohash: IN_REGION.geohash, operator: chain.operator.address, chainId: 31337, registry: chain.registry });
  t.same(verdict.problems, []);
  t.equal(cert.certificate.validUntil - cert.certificate.validFrom, 365 * 86400);

  const again = await cliJson(['provision', 'kiosk', 'authorize', '--venue', venueId, '--kiosk', kiosk, '--operator-key', chain.operatorKeyFile, '--valid-days', '30', ...chain.chainFlags]);
  t.equal(again.code, 0, 'authorizing again only re-issues the certificate');
  t.equal(again.body.alreadyAuthorized, true);
  t.equal(again.body.certificate.certificate.validUntil - again.body.certificate.certificate.validFrom, 30 * 86400);
});

t.test('kiosk authorize: unknown venue, foreign operator, bad input', async (t) => {
  const kiosk = Wallet.createRandom().address;
  let r = await cliJson(['provision', 'kiosk', 'authorize', '--venue', '999', '--kiosk', kiosk, '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  t.equal(r.code, 2);
  t.equal(r.body.error.code, 'WAYMARK_ERR_CHAIN_UNKNOWN_VENUE');
  const venueId = await venueAt(IN_REGION);
  r = await cliJson(['provision', 'kiosk', 'authorize', '--venue', venueId, '--kiosk', kiosk, '--operator-key', chain.authorityKeyFile, ...chain.chainFlags]);
  t.equal(r.code, 2, 'someone else\'s key');
  t.equal(r.body.error.code, 'WAYMARK_ERR_CHAIN_UNAUTHORIZED');
  t.match(r.body.error.message, 'is not the operator of venue');
  t.notOk(await isKiosk(chain.reader, { venueId: BigInt(venueId), kiosk }));
  for (const bad of [['--venue', '0', '--kiosk', kiosk], ['--venue', 'x', '--kiosk', kiosk], ['--venue', venueId, '--kiosk', '0x1234'], ['--venue', venueId]]) {
    r = await cliJson(['provision', 'kiosk', 'authorize', ...bad, '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
    t.equal(r.code, 2, bad.join(' '));
  }
});

t.test('config write validates every field and names each bad one; config check', async (t) => {
  const venueId = await venueAt(IN_REGION);
  const dataDir = join(dir, 'kiosk-c');
  await cliJson(['provision', 'init', '--data-dir', dataDir, '--plain-key']);
  await cliJson(['provision', 'kiosk', 'authorize', '--venue', venueId, '--data-dir', dataDir, '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  const configPath = join(dataDir, 'config.json');
  let r = await cliJson(['provision', 'config', 'write', '--config', configPath, '--data-dir', dataDir, '--radio', 'wifi', '--http-port', '99999', '--tap-threshold', 'loud', '--retention-days=-2', '--registry', '0x12']);
  t.equal(r.code, 2);
  const fields = r.body.error.details.fields.map((f: { field: string }) => f.field);
  for (const f of ['radio.adapter', 'http.port', 'checkin.tapThresholdDbm', 'retention.days', 'chain.registry', 'chain.rpcUrl']) t.ok(fields.includes(f), `names ${f}`);
  t.match(r.stderr, 'radio.adapter');

  r = await cliJson(['provision', 'config', 'write', '--config', configPath, '--data-dir', dataDir, '--rpc', chain.node.rpcUrl, '--chain-id', '31337', '--registry', chain.registry, '--radio', 'virtual', '--http-port', '8081', '--tap-threshold=-50', '--retention-days', '7', '--venue-name', 'Skagen Hall', '--public-url', 'http://skagen-1.venue.lan:8081']);
  t.equal(r.code, 0, r.stderr);
  const written = JSON.parse(readFileSync(configPath, 'utf8'));
  t.equal(written.chain.venueId, Number(venueId), 'venue id from the device certificate');
  t.equal(written.venue.geohash, IN_REGION.geohash, 'geohash from the device certificate');
  t.equal(written.chain.keyFile, kioskFiles(dataDir).plainKey, 'the key in the data dir');
  t.equal(written.checkin.tapThresholdDbm, -50);
  t.equal(written.http.port, 8081);
  t.equal(written.checkin.publicUrl, 'http://skagen-1.venue.lan:8081', 'the QR code links only to --public-url');
  t.equal(written.http.operatorTokenFile, join(dataDir, 'operator-token'));
  t.equal(statSync(written.http.operatorTokenFile).mode & 0o777, 0o600, 'the operator token is private');
  t.match(readFileSync(written.http.operatorTokenFile, 'utf8'), /^[A-Za-z0-9_-]{43}\n$/);

  t.equal((await cli(['provision', 'config', 'write', '--config', configPath, '--data-dir', dataDir, '--rpc', chain.node.rpcUrl, '--registry', chain.registry])).code, 2, 'no overwrite without --force');
  r = await cliJson(['provision', 'config', 'check', '--config', configPath]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.body.config.chain.registry, chain.registry);
  t.equal((await cli(['config', 'check', '--config', configPath])).code, 0, 'the top-level config check agrees');

  writeFileSync(join(dir, 'partial.json'), JSON.stringify({ dataDir: join(dir, 'empty'), radio: { adapter: 'virtual' } }));
  r = await cliJson(['provision', 'config', 'check', '--config', join(dir, 'partial.json')]);
  t.equal(r.code, 1, 'an incomplete config is a failed check');
  for (const f of ['chain.rpcUrl', 'chain.registry', 'chain.venueId', 'chain.keyFile']) t.match(r.stderr, f);
});
