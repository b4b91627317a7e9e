/**
 * risk/ is pure and phone-portable, so the wallet can bundle assessStay: no Node API, and of
 * ours it imports only core/errors and itself (docs/ARCHITECTURE.md: risk -> core).
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';

const root = new URL('../../risk/', import.meta.url);

t.test('risk/ sources use no Node API and import only core/errors and each other', async (t) => {
  const files = readdirSync(root).filter((f) => f.endsWith('.ts'));
  t.ok(files.length >= 5, `${files.length} files`);
  for (const f of files) {
    const raw = readFileSync(new URL(f, root), 'utf8');
    t.match(raw, /^\/\*\*\n \* \S/, `${f} starts with a comment saying what it is for`);
    const src = raw.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    t.notMatch(src, /from ['"]node:|require\(|\bBuffer\b|\bprocess\./, `${f} uses no Node API`);
    for (const i of [...src.matchAll(/from ['"]([^'"]+)['"]/g)].map((m) => m[1]!)) {
      t.ok(/^\.\/[a-z0-9-]+\.js$|^\.\.\/core\/errors\.js$/.test(i), `${f} imports ${i}`);
    }
  }
});
