/**
 * The import-direction rules of docs/ARCHITECTURE.md as code: parses the `import-rules` block,
 * finds every relative import of a source file with the TypeScript parser, and names each
 * import a folder may not make and each import cycle between top-level folders.
 */
import { posix } from 'node:path';
import ts from 'typescript';

/** Which top-level folders each folder may import (its own always), and the pairs that never may. */
export interface ImportRules {
  /** folder -> the other folders it may import, or '*' for any. */
  allow: Map<string, Set<string> | '*'>;
  /** Pairs the block states outright as forbidden (checked against `allow` too). */
  never: { from: string; to: string; line: number }[];
}

/** A source file by its path from the repository root (posix separators). */
export interface SourceText {
  path: string;
  text: string;
}

/** One relative import in a file, resolved to the top-level folder it lands in. */
export interface FolderImport {
  file: string;
  line: number;
  specifier: string;
  kind: 'import' | 'export from' | 'import()' | 'import type()' | 'require' | 'import = require';
  from: string;
  /** The target's top-level folder; '..' when it leaves the repository, '.' for a root file. */
  to: string;
}

const FOLDER = /^[a-z0-9][a-z0-9._-]*$/;

/** Parses the fenced ```import-rules block of a markdown page. Throws on any line it cannot read. */
export function parseImportRules(markdown: string): ImportRules {
  const block = /^```import-rules[ \t]*\n([\s\S]*?)^```/m.exec(markdown);
  if (!block) throw new Error('no ```import-rules block found');
  const firstLine = markdown.slice(0, block.index).split('\n').length + 1;
  const allow: ImportRules['allow'] = new Map();
  const never: ImportRules['never'] = [];
  block[1].split('\n').forEach((raw, i) => {
    const line = firstLine + i;
    const text = raw.replace(/#.*$/, '').trim();
    if (!text) return;
    const m = /^(.*?)\s*(-\/->|->)\s*(.*)$/.exec(text);
    if (!m) throw new Error(`import-rules line ${line}: expected "A -> B C" or "A B -/-> C": ${raw}`);
    const lhs = m[1].split(/\s+/).filter(Boolean);
    const rhs = m[3].split(/\s+/).filter(Boolean);
    for (const f of [...lhs, ...rhs]) {
      if (f !== '*' && !FOLDER.test(f)) throw new Error(`import-rules line ${line}: "${f}" is not a folder name`);
    }
    if (m[2] === '->') {
      if (lhs.length !== 1 || lhs[0] === '*') throw new Error(`import-rules line ${line}: an allow line names one folder on the left`);
      if (allow.has(lhs[0])) throw new Error(`import-rules line ${line}: second allow line for ${lhs[0]}`);
      if (rhs.includes('*') && rhs.length > 1) throw new Error(`import-rules line ${line}: "*" stands alone`);
      allow.set(lhs[0], rhs.includes('*') ? '*' : new Set(rhs.filter((f) => f !== lhs[0])));
    } else {
      if (lhs.length === 0 || rhs.length === 0 || [...lhs, ...rhs].includes('*')) {
        throw new Error(`import-rules line ${line}: a never line names folders on both sides`);
      }
      for (const from of lhs) for (const to of rhs) never.push({ from, to, line });
    }
  });
  return { allow, never };
}

/** May `from` import `to` under these rules? */
export function mayImport(rules: ImportRules, from: string, to: string): boolean {
  if (from === to) return to !== '..';
  const allowed = rules.allow.get(from);
  if (allowed === undefined) return false;
  return allowed === '*' ? to !== '..' : allowed.has(to);
}

/** Rule lines that contradict each other: a never pair its allow line permits. */
export function contradictions(rules: ImportRules): string[] {
  return rules.never
    .filter((n) => mayImport(rules, n.from, n.to))
    .map((n) => `line ${n.line}: ${n.from} -/-> ${n.to}, but the allow line for ${n.from} permits it`);
}

/** The top-level folder a repository path belongs to ('.' for a root file, '..' outside). */
export function topFolder(path: string): string {
  if (path === '..' || path.startsWith('../')) return '..';
  const slash = path.indexOf('/');
  return slash < 0 ? '.' : path.slice(0, slash);
}

function isRelative(specifier: string): boolean {
  return specifier === '.' || specifier === '..' || specifier.startsWith('./') || specifier.startsWith('../');
}

function scriptKind(path: string): ts.ScriptKind {
  if (/\.[cm]?js$/.test(path)) return ts.ScriptKind.JS;
  if (path.endsWith('.tsx')) return ts.ScriptKind.TSX;
  return ts.ScriptKind.TS;
}

function literal(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
}

/**
 * Every relative import of one file: static imports and `export ... from` (type-only too),
 * `import('…')` in code and in types, `require('…')` / `require.resolve('…')` (including a
 * `createRequire` result under any name) and `import x = require('…')`. Comments and strings
 * are never mistaken for imports: this is the TypeScript parser, not a pattern match.
 */
export function findImports(file: SourceText): FolderImport[] {
  const sf = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, false, scriptKind(file.path));
  const requires = new Set(['require']);
  const found: FolderImport[] = [];
  const from = topFolder(file.path);
  const add = (spec: ts.Node | undefined, kind: FolderImport['kind']): void => {
    const specifier = literal(spec);
    if (specifier === undefined || !isRelative(specifier)) return;
    const target = posix.normalize(posix.join(posix.dirname(file.path), specifier));
    const line = sf.getLineAndCharacterOfPosition(spec!.getStart(sf)).line + 1;
    found.push({ file: file.path, line, specifier, kind, from, to: topFolder(target) });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, 'import');
    else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, 'export from');
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, 'import = require');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal, 'import type()');
    else if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && ts.isCallExpression(node.initializer)
      && ts.isIdentifier(node.initializer.expression) && node.initializer.expression.text === 'createRequire') {
      requires.add(node.name.text);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], 'import()');
      else if (ts.isIdentifier(callee) && requires.has(callee.text)) add(node.arguments[0], 'require');
      else if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'resolve' && ts.isIdentifier(callee.expression)
        && requires.has(callee.expression.text)) add(node.arguments[0], 'require');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** `file:line imports target (folder A may not import folder B)`, one per offending import. */
export function importViolations(imports: FolderImport[], rules: ImportRules): string[] {
  return imports
    .filter((i) => !mayImport(rules, i.from, i.to))
    .map((i) => `${i.file}:${i.line} imports ${i.specifier} (${i.from} may not import ${i.to === '..' ? 'outside the repository' : i.to === '.' ? 'the repository root' : i.to})`);
}

/**
 * Cycles in the graph of top-level folders (one per strongly connected group of two or more
 * folders), each spelled `a -> b -> a` with one import that makes each step.
 */
export function folderCycles(edges: { from: string; to: string; example?: string }[]): string[] {
  const next = new Map<string, Map<string, string | undefined>>();
  for (const e of edges) {
    if (e.from === e.to) continue;
    if (!next.has(e.from)) next.set(e.from, new Map());
    if (!next.has(e.to)) next.set(e.to, new Map());
    const out = next.get(e.from)!;
    if (!out.get(e.to)) out.set(e.to, e.example);
  }
  // Tarjan's strongly connected components
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const groups: string[][] = [];
  const strong = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of [...next.get(v)!.keys()].sort()) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) strong(v);
  return groups.map((group) => {
    // one concrete cycle through the group's first folder (breadth-first, so the shortest)
    const start = group[0];
    const prev = new Map<string, string>();
    const queue = [start];
    let last: string | undefined;
    while (queue.length > 0 && !last) {
      const v = queue.shift()!;
      for (const w of next.get(v)!.keys()) {
        if (!group.includes(w)) continue;
        if (w === start) {
          last = v;
          break;
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    const path = [start];
    for (let v = last!; v !== start; v = prev.get(v)!) path.splice(1, 0, v);
    path.push(start);
    const steps = path.slice(1).map((to, i) => next.get(path[i])!.get(to)).filter(Boolean);
    return `${path.join(' -> ')}${steps.length ? ` (${steps.join('; ')})` : ''}`;
  });
}
