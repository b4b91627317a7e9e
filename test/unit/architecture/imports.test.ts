import t, { type Test } from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import {
  contradictions, findImports, folderCycles, importViolations, parseImportRules, type SourceText,
} from '../../helpers/import-rules.js';

// The import-direction rules of docs/ARCHITECTURE.md ("Import rules"), kept by the code itself:
// every relative import in every top-level folder, and no cycle between the folders.

const root = new URL('../../../', import.meta.url);
const doc = readFileSync(new URL('docs/ARCHITECTURE.md', root), 'utf8');
const rules = parseImportRules(doc);

const SKIP_DIRS = new Set(['node_modules', 'dist']);
const CODE = /\.(?:[cm]?ts|tsx|[cm]?js)$/;
/** Folders that may import anything and stay out of the cycle check. */
const FREE = new Set(['test', 'bench']);

function sourceFiles(): SourceText[] {
  const files: SourceText[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(new URL(rel, root), { withFileTypes: true })) {
      if (entry.name.startsWith('.') || SKIP_DIRS.has(entry.name)) continue;
      const path = `${rel}${entry.name}`;
      if (entry.isDirectory()) walk(`${path}/`);
      else if (entry.isFile() && CODE.test(entry.name)) files.push({ path, text: readFileSync(new URL(path, root), 'utf8') });
    }
  };
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.isDirectory() && !entry.name.startsWith('.') && !SKIP_DIRS.has(entry.name)) walk(`${entry.name}/`);
  }
  return files;
}

const files = sourceFiles();
const imports = files.flatMap(findImports);
const codeFolders = [...new Set(files.map((f) => f.path.split('/')[0]))].sort();

/** Reports each problem as its own failure, so the output names every one. */
function expectNone(t: Test, problems: string[], ok: string): void {
  if (problems.length === 0) t.pass(ok);
  for (const p of problems) t.fail(p);
}

t.test('the rules block covers every code folder and agrees with itself', async (t) => {
  t.same([...rules.allow.keys()].filter((f) => !codeFolders.includes(f)), [], 'every folder the rules name holds code');
  for (const f of codeFolders) t.ok(rules.allow.has(f), `${f}/ has an allow line`);
  expectNone(t, contradictions(rules), 'no never line contradicts an allow line');
  const declared = [...rules.allow].flatMap(([from, to]) => (to === '*' ? [] : [...to].map((f) => ({ from, to: f }))));
  expectNone(t, folderCycles(declared).map((c) => `the rules allow a cycle: ${c}`), 'the allowed imports form no cycle');
  // the two rules the page states outright must stay in the block
  const never = (from: string, to: string): boolean => rules.never.some((n) => n.from === from && n.to === to);
  t.ok(never('kiosk', 'provisioning') && never('provisioning', 'kiosk'), 'kiosk and provisioning never import each other');
  for (const f of codeFolders.filter((f) => !['cli', 'sim', 'test', 'bench'].includes(f))) t.ok(never(f, 'sim'), `${f} -/-> sim`);
});

t.test('the scan sees the whole tree', async (t) => {
  t.ok(files.length > 200, `${files.length} source files`);
  t.ok(imports.length > 500, `${imports.length} relative imports`);
  for (const f of ['core', 'beacon', 'contracts', 'firmware-bridge', 'kiosk', 'provisioning', 'sim', 'cli', 'test', 'bench']) {
    t.ok(codeFolders.includes(f), `${f}/ scanned`);
  }
  t.notOk(files.some((f) => /(^|\/)(node_modules|dist)\//.test(f.path)), 'node_modules and dist skipped');
});

t.test('every relative import follows the import rules', async (t) => {
  expectNone(t, importViolations(imports, rules), `${imports.length} imports checked`);
});

t.test('no import cycle between top-level folders (test and bench aside)', async (t) => {
  const edges = imports
    .filter((i) => !FREE.has(i.from) && !FREE.has(i.to))
    .map((i) => ({ from: i.from, to: i.to, example: `${i.file}:${i.line} imports ${i.specifier}` }));
  expectNone(t, folderCycles(edges).map((c) => `folder cycle: ${c}`), 'the folder graph is acyclic');
});

t.test('the checker finds bad imports in every form (synthetic files)', async (t) => {
  const lines = [
    `// import '../sim/in-a-comment.js';`,
    `/* import '../sim/in-a-block.js'; */`,
    `const s = "import x from '../sim/in-a-string.js'";`,
    'const tpl = `${s} from "../sim/in-a-template.js"`;',
    `const re = /from '..\\/sim\\/in-a-regex.js'/;`,
    `import { ok } from '../core/errors.js';`,
    `import {`,
    `  venue,`,
    `} from '../sim/venue.js';`,
    `import type { Keys } from '../provisioning/keys.js';`,
    `export { main } from '../cli/main.js';`,
    `export * from './local.js';`,
    `const d = await import('../sim/dynamic.js');`,
    `const r = require('../bench/run.js');`,
    `type T = typeof import('../test/helpers/cli.js');`,
    `const here = createRequire(import.meta.url);`,
    `here('../sim/cjs.js'); here.resolve('../sim/resolved.js');`,
    `import '../../outside.js';`,
    `import eq = require('../sim/eq.js');`,
  ];
  const at = (text: string): number => lines.findIndex((l) => l.includes(text)) + 1;
  const fake: SourceText[] = [
    { path: 'kiosk/bad.ts', text: lines.join('\n') },
    { path: 'provisioning/doctor.ts', text: `import { startKioskDaemon } from '../kiosk/daemon.js';\n` },
    { path: 'cli/radio.ts', text: `import { openVirtualRadio } from '../sim/virtual-radio.js';\n` },
    { path: 'test/any.test.ts', text: `import '../sim/venue.js';\nimport '../cli/main.js';\n` },
  ];
  const found = fake.flatMap(findImports);
  t.same(found.filter((i) => i.file === 'kiosk/bad.ts').map((i) => i.kind),
    ['import', 'import', 'import', 'export from', 'export from', 'import()', 'require', 'import type()', 'require', 'require', 'import', 'import = require'],
    'every import form is found; comments, strings, templates and regexes are not');
  t.same(importViolations(found, rules), [
    `kiosk/bad.ts:${at('../sim/venue.js')} imports ../sim/venue.js (kiosk may not import sim)`,
    `kiosk/bad.ts:${at('../provisioning/keys.js')} imports ../provisioning/keys.js (kiosk may not import provisioning)`,
    `kiosk/bad.ts:${at('../cli/main.js')} imports ../cli/main.js (kiosk may not import cli)`,
    `kiosk/bad.ts:${at('../sim/dynamic.js')} imports ../sim/dynamic.js (kiosk may not import sim)`,
    `kiosk/bad.ts:${at('../bench/run.js')} imports ../bench/run.js (kiosk may not import bench)`,
    `kiosk/bad.ts:${at('../test/helpers')} imports ../test/helpers/cli.js (kiosk may not import test)`,
    `kiosk/bad.ts:${at('../sim/cjs.js')} imports ../sim/cjs.js (kiosk may not import sim)`,
    `kiosk/bad.ts:${at('../sim/resolved.js')} imports ../sim/resolved.js (kiosk may not import sim)`,
    `kiosk/bad.ts:${at('../../outside.js')} imports ../../outside.js (kiosk may not import outside the repository)`,
    `kiosk/bad.ts:${at('../sim/eq.js')} imports ../sim/eq.js (kiosk may not import sim)`,
    'provisioning/doctor.ts:1 imports ../kiosk/daemon.js (provisioning may not import kiosk)',
  ], 'each offending import is named with its line; cli -> sim and test -> anything pass');
});

t.test('the cycle check finds a cycle and names the imports that close it', async (t) => {
  t.same(folderCycles([{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }, { from: 'c', to: 'd' }]), [], 'a chain is no cycle');
  t.same(folderCycles([
    { from: 'kiosk', to: 'core', example: 'kiosk/k.ts:1 imports ../core/c.js' },
    { from: 'core', to: 'beacon', example: 'core/c.ts:2 imports ../beacon/b.js' },
    { from: 'beacon', to: 'kiosk', example: 'beacon/b.ts:3 imports ../kiosk/k.js' },
    { from: 'cli', to: 'kiosk', example: 'cli/x.ts:4 imports ../kiosk/k.js' },
  ]), ['beacon -> kiosk -> core -> beacon (beacon/b.ts:3 imports ../kiosk/k.js; kiosk/k.ts:1 imports ../core/c.js; core/c.ts:2 imports ../beacon/b.js)']);
});

t.test('the rules parser refuses what it cannot read', async (t) => {
  const block = (body: string): string => `# page\n\n\`\`\`import-rules\n${body}\n\`\`\`\n`;
  t.throws(() => parseImportRules('# no block'), /no ```import-rules block/);
  t.throws(() => parseImportRules(block('core ->\nkiosk => core')), /line 5: expected/);
  t.throws(() => parseImportRules(block('core ->\ncore -> kiosk')), /second allow line for core/);
  t.throws(() => parseImportRules(block('Kiosk -> core')), /not a folder name/);
  const r = parseImportRules(block('# a comment\nkiosk -> core # why\ncore ->\ntest -> *\nkiosk core -/-> test'));
  t.same(r.allow.get('kiosk'), new Set(['core']));
  t.equal(r.allow.get('test'), '*');
  t.same(r.never.map((n) => `${n.from}-/->${n.to}`), ['kiosk-/->test', 'core-/->test']);
  t.same(contradictions(parseImportRules(block('kiosk -> sim core\nkiosk -/-> sim'))), ['line 5: kiosk -/-> sim, but the allow line for kiosk permits it']);
});
