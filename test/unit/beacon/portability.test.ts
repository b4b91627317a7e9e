import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';

// The phone-side SDK (everything in beacon/) must bundle for a browser or React Native:
// no Node built-ins, no Buffer, no process.
const dir = new URL('../../../beacon/', import.meta.url);

t.test('beacon/ uses no Node-only API', async (t) => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  t.ok(files.length >= 8, `${files.length} files`);
  for (const f of files) {
    const src = readFileSync(new URL(f, dir), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    t.notMatch(src, /from ['"]node:|require\(|\bBuffer\b|\bprocess\./, f);
    const imports = [...src.matchAll(/from ['"]([^'"]+)['"]/g)].map((m) => m[1]);
    for (const i of imports) t.ok(i.startsWith('./') || i.startsWith('../core/errors') || i.startsWith('../core/clock') || i.startsWith('@noble/'), `${f} imports ${i}`);
  }
});

t.test('every beacon module starts with a comment saying what it is for', async (t) => {
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    t.match(readFileSync(new URL(f, dir), 'utf8'), /^\/\*\*\n \* \S/, f);
  }
});
