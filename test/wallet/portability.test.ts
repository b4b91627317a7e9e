/**
 * The wallet runs in a browser: its sources (build.ts, which Node runs, aside) use no Node
 * API and import only the visitor SDK, core/errors and each other; the bundle they build
 * holds every file the service worker caches.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildWallet } from '../../wallet/build.js';

const root = new URL('../../wallet/', import.meta.url);

function sources(): string[] {
  const top = readdirSync(root).filter((f) => f.endsWith('.ts') && f !== 'build.ts');
  return [...top, ...readdirSync(new URL('src/', root)).filter((f) => f.endsWith('.ts')).map((f) => `src/${f}`)];
}

t.test('wallet/ sources use no Node API and import only beacon/visitor, core/errors and themselves', async (t) => {
  const files = sources();
  t.ok(files.length >= 6, `${files.length} files`);
  for (const f of files) {
    const raw = readFileSync(new URL(f, root), 'utf8');
    t.match(raw, /^\/\*\*\n \* \S/, `${f} starts with a comment saying what it is for`);
    const src = raw.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    t.notMatch(src, /from ['"]node:|require\(|\bBuffer\b|\bprocess\./, f);
    for (const i of [...src.matchAll(/from ['"]([^'"]+)['"]/g)].map((m) => m[1]!)) {
      const ok = f.startsWith('src/')
        ? /^\.\/[a-z-]+\.js$|^\.\.\/\.\.\/beacon\/visitor\/[a-z-]+\.js$|^\.\.\/\.\.\/risk\/[a-z-]+\.js$|^\.\.\/\.\.\/core\/errors\.js$/.test(i)
        : false;
      t.ok(ok, `${f} imports ${i}`);
    }
  }
});

t.test('the build writes the page, the script, the worker, the manifest and the icons', async (t) => {
  const out = join(t.testdir({}), 'wallet');
  const { version, bytes } = await buildWallet({ outDir: out, rpcUrl: 'https://rpc.example.org' });
  t.match(version, /^[0-9a-f]{12}$/);
  for (const f of ['index.html', 'app.js', 'sw.js', 'manifest.webmanifest', 'icon.svg', 'icon-192.png', 'icon-512.png', 'config.json']) {
    t.ok(readdirSync(out).includes(f), f);
  }
  t.ok(bytes['app.js']! < 600_000, `app.js ${bytes['app.js']} bytes`);
  t.match(readFileSync(join(out, 'sw.js'), 'utf8'), version, 'the worker is versioned by the bundle');
  t.same(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')), { rpcUrl: 'https://rpc.example.org' });
  const png = readFileSync(join(out, 'icon-512.png'));
  t.same([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
  t.equal(png.readUInt32BE(16), 512, 'width 512');
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.webmanifest'), 'utf8'));
  for (const icon of manifest.icons) t.ok(readdirSync(out).includes(icon.src), `manifest icon ${icon.src} is in the bundle`);
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  t.notMatch(html.replace(/<script src="app\.js" defer><\/script>/, ''), /<script/, 'no inline script (the kiosk serves it under script-src \'self\')');
});
