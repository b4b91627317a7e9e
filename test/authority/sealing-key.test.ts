import t from 'tap';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sealShare, type SharedCheckins } from '../../beacon/visitor/share.js';
import { openShare } from '../../authority/report-shared.js';
import { cli } from '../helpers/cli.js';

t.test('authority sealing-key: makes a 0600 key, prints what visitors seal to, and opens their shares', async (t) => {
  const dir = t.testdir({});
  const made = await cli(['authority', 'sealing-key', '--secret-file', 'seal.hex', '--new', '--json'], { cwd: dir });
  t.equal(made.code, 0, made.stderr);
  const body = JSON.parse(made.stdout) as { publicKey: string; created: boolean };
  t.match(body, { publicKey: /^0x0[23][0-9a-f]{64}$/, created: true });
  t.equal(statSync(join(dir, 'seal.hex')).mode & 0o777, 0o600);
  const again = await cli(['authority', 'sealing-key', '--secret-file', 'seal.hex'], { cwd: dir });
  t.match(again.stdout, `public key (visitors seal to it): ${body.publicKey}`);
  const twice = await cli(['authority', 'sealing-key', '--secret-file', 'seal.hex', '--new'], { cwd: dir });
  t.equal(twice.code, 2);
  t.match(twice.stderr, /WAYMARK_ERR_KEY_EXISTS/);
  t.match((await cli(['authority', 'sealing-key'], { cwd: dir })).stderr, /--secret-file/);

  const share = { format: 'waymark-shared-checkins-v1', records: [] } as unknown as SharedCheckins;
  const sealed = await sealShare(share, body.publicKey);
  const opened = await openShare(JSON.stringify(sealed), readFileSync(join(dir, 'seal.hex'), 'utf8').trim());
  t.equal(opened.sealed, true);
  t.same(opened.share, share);
});
