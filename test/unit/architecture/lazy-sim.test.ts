/**
 * `waymark kiosk start` on real hardware never loads the simulator: cli/ reaches sim/ only
 * through `import()` inside the commands that run it (type-only imports are erased).
 */
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO } from '../../helpers/cli.js';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Static value imports of sim/ in a source text (what `import ... from` loads at start). */
export function staticSimImports(source: string): string[] {
  return [...source.matchAll(/^\s*(import|export)\s+(?!type\b)[^;]*?from\s+['"]((?:\.\.\/)+sim\/[^'"]+)['"]/gm)].map((m) => m[2]!);
}

t.test('the checker sees a static import and lets type-only and dynamic ones pass', async (t) => {
  t.same(staticSimImports("import { startDemo } from '../../sim/demo.js';"), ['../../sim/demo.js']);
  t.same(staticSimImports("import type { X } from '../sim/air.js';\nconst m = await import('../sim/demo.js');"), []);
});

t.test('cli/ loads sim/ only lazily', async (t) => {
  const files = tsFiles(join(REPO, 'cli'));
  t.ok(files.length > 10, `${files.length} files`);
  for (const f of files) t.same(staticSimImports(readFileSync(f, 'utf8')), [], relative(REPO, f));
});
