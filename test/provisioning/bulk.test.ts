import t from 'tap';
import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isKiosk } from '../../contracts/actions/is-kiosk.js';
import { getVenue } from '../../contracts/actions/get-venue.js';
import { kioskFiles } from '../../core/data-dir.js';
import { cli } from '../helpers/cli.js';
import { startProvisioningChain, cliJson, IN_REGION, LONDON, type ProvisioningChain } from './chain.js';

let chain: ProvisioningChain;
let dir: string;
t.before(async () => {
  dir = t.testdir({});
  chain = await startProvisioningChain(dir);
});
t.teardown(() => chain.stop());

const header = 'venue,lat,lon,capacity,data_dir,radio,venue_id';

t.test('bulk: good rows are provisioned, bad rows reported, a re-run skips done rows and retries the rest', async (t) => {
  const csv = join(dir, 'kiosks.csv');
  writeFileSync(csv, [
    header,
    `"Skagen Hall",${IN_REGION.lat},${IN_REGION.lon},250,k1,virtual,`,
    `"Skagen Hall",${IN_REGION.lat},${IN_REGION.lon},250,k2,virtual,`, // same venue, second kiosk
    `Nowhere,95,10,,k3,virtual,`, // bad latitude
    `"No dir",${IN_REGION.lat},${IN_REGION.lon},,,virtual,`, // missing data_dir
    `"Ghost venue",${IN_REGION.lat},${IN_REGION.lon},,k4,virtual,999`, // unknown venue id
    `London,${LONDON.lat},${LONDON.lon},,k5,virtual,`, // outside the operator's region (no authority key)
    `"Wifi radio",${IN_REGION.lat},${IN_REGION.lon},,k6,wifi,`, // config field invalid
  ].join('\n') + '\n');
  const r = await cliJson(['provision', 'bulk', '--csv', csv, '--plain-key', '--fund', '0.05', '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  t.equal(r.code, 1, 'failed rows make the run fail');
  t.equal(r.body.total, 7);
  t.equal(r.body.done, 2);
  t.equal(r.body.failed, 5);
  const failed = Object.fromEntries(r.body.rows.filter((x: any) => x.status === 'failed').map((x: any) => [x.line, x.error.code]));
  t.same(failed, {
    4: 'WAYMARK_ERR_COORDINATES_INVALID',
    5: 'WAYMARK_ERR_USAGE',
    6: 'WAYMARK_ERR_CHAIN_UNKNOWN_VENUE',
    7: 'WAYMARK_ERR_CHAIN_UNAUTHORIZED',
    8: 'WAYMARK_ERR_USAGE',
  });
  const [k1, k2] = r.body.rows.filter((x: any) => x.status === 'done');
  t.equal(k1.venueId, k2.venueId, 'rows of one venue share it');
  t.equal((await getVenue(chain.reader, { venueId: BigInt(k1.venueId) })).geohash, IN_REGION.geohash);
  for (const k of [k1, k2]) {
    t.ok(await isKiosk(chain.reader, { venueId: BigInt(k.venueId), kiosk: k.kiosk }), `kiosk on line ${k.line} authorized`);
    t.ok(await chain.provider.getBalance(k.kiosk) > 0n, 'funded');
    const check = await cli(['provision', 'config', 'check', '--config', k.config]);
    t.equal(check.code, 0, `config of line ${k.line} is valid: ${check.stderr}`);
  }
  t.equal(statSync(kioskFiles(join(dir, 'k1')).plainKey).mode & 0o777, 0o600);
  t.ok(existsSync(kioskFiles(join(dir, 'k1')).certificate));
  t.notOk(existsSync(join(dir, 'k4', 'config.json')), 'nothing half-written for a failed row');

  const human = await cli(['provision', 'bulk', '--csv', csv, '--plain-key', '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  t.equal(human.code, 1);
  t.match(human.stdout, '7 rows: 0 done, 2 skipped (done before), 5 failed');
  t.match(human.stdout, /line 4 \(Nowhere\): .*lat/);
  t.equal(human.stderr, '', 'no progress bar when stderr is not a terminal');

  // fix the bad rows (the London one with the region authority's key) and run again
  const fixed = readFileSync(csv, 'utf8').replace('Nowhere,95,10', `Nowhere,${IN_REGION.lat},${IN_REGION.lon}`).replace(',,virtual,\n', ',k7,virtual,\n').replace(',wifi,', ',hci,').replace(',999', ',' + k1.venueId);
  writeFileSync(csv, fixed);
  const again = await cliJson(['provision', 'bulk', '--csv', csv, '--plain-key', '--operator-key', chain.operatorKeyFile, '--authority-key', chain.authorityKeyFile, ...chain.chainFlags]);
  t.equal(again.code, 0, JSON.stringify(again.body?.rows?.filter((x: any) => x.error)));
  t.equal(again.body.skipped, 2);
  t.equal(again.body.done, 5);
  const london = again.body.rows.find((x: any) => x.venue === 'London');
  t.equal((await getVenue(chain.reader, { venueId: BigInt(london.venueId) })).region, 'gcpv');
});

t.test('bulk: keystores with one passphrase; unreadable sheets are usage errors', async (t) => {
  writeFileSync(join(dir, 'pass.txt'), 'bulk passphrase 1\n');
  const csv = join(dir, 'one.csv');
  writeFileSync(csv, `${header}\n"Keystore kiosk",${IN_REGION.lat},${IN_REGION.lon},,ks1,virtual,\n`);
  const r = await cliJson(['provision', 'bulk', '--csv', csv, '--passphrase-file', join(dir, 'pass.txt'), '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  t.equal(r.code, 0, r.stderr);
  const keystore = kioskFiles(join(dir, 'ks1')).keystore;
  t.equal(statSync(keystore).mode & 0o777, 0o600);
  t.equal('0x' + JSON.parse(readFileSync(keystore, 'utf8')).address.toLowerCase(), r.body.rows[0].kiosk.toLowerCase());
  t.notMatch(r.stdout + r.stderr, 'bulk passphrase 1');

  writeFileSync(join(dir, 'bad-header.csv'), 'name,latitude\nx,1\n');
  let bad = await cliJson(['provision', 'bulk', '--csv', join(dir, 'bad-header.csv'), '--plain-key', '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  t.equal(bad.code, 2);
  t.equal(bad.body.error.code, 'WAYMARK_ERR_FILE_FORMAT');
  bad = await cliJson(['provision', 'bulk', '--csv', join(dir, 'missing.csv'), '--plain-key', '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  t.equal(bad.code, 2);
  bad = await cliJson(['provision', 'bulk', '--csv', csv, '--operator-key', chain.operatorKeyFile, ...chain.chainFlags]);
  t.equal(bad.code, 2, 'keystores need a passphrase');
  t.equal(bad.body.error.code, 'WAYMARK_ERR_KEY_PASSPHRASE');
});
