/**
 * The visitor SDK (beacon/visitor/) must run on a phone: no Node built-ins, Buffer or
 * process, and imports only of its own modules, beacon/, core errors, ethers, noble and
 * the OpenZeppelin Merkle tree.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';

const dir = new URL('../../../beacon/visitor/', import.meta.url);

t.test('beacon/visitor/ uses no Node-only API', async (t) => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  t.ok(files.length >= 6, `${files.length} files`);
  for (const f of files) {
    const raw = readFileSync(new URL(f, dir), 'utf8');
    t.match(raw, /^\/\*\*\n \* \S/, `${f} starts with a comment saying what it is for`);
    const src = raw.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    t.notMatch(src, /from ['"]node:|require\(|\bBuffer\b|\bprocess\./, f);
    for (const i of [...src.matchAll(/from ['"]([^'"]+)['"]/g)].map((m) => m[1])) {
      t.ok(/^\.\/|^\.\.\/(bytes|geohash)\.js$|^\.\.\/\.\.\/core\/errors\.js$|^ethers$|^@noble\/|^@openzeppelin\/merkle-tree$/.test(i), `${f} imports ${i}`);
    }
  }
});
