/**
 * Builds the visitor wallet (a static bundle) with esbuild: app.js (the page's script, the
 * visitor SDK bundled in), sw.js (the service worker, versioned by a hash of the bundle),
 * the page, manifest, icons and config.json, into dist/wallet/ (or --out DIR).
 * `node --import tsx wallet/build.ts [--out DIR] [--rpc URL]`; run by `npm run build` and `prepare`.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { deflateSync } from 'node:zlib';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

export interface WalletBuildOptions {
  outDir?: string;
  /** The chain endpoint the wallet proposes until its user saves another (config.json). */
  rpcUrl?: string;
}

export interface WalletBuildResult {
  outDir: string;
  version: string;
  bytes: Record<string, number>;
}

/** Builds the bundle; returns where, its version and the size of each file. */
export async function buildWallet(opts: WalletBuildOptions = {}): Promise<WalletBuildResult> {
  const outDir = resolve(opts.outDir ?? join(root, 'dist', 'wallet'));
  mkdirSync(outDir, { recursive: true });
  const common = {
    bundle: true, minify: true, platform: 'browser', target: 'es2020', legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' }, logLevel: 'warning', write: false,
  } as const;
  const app = await build({ ...common, entryPoints: [join(here, 'src', 'main.ts')], format: 'iife' });
  const appJs = app.outputFiles[0]!.contents;
  const page = readFileSync(join(here, 'index.html'));
  const manifest = readFileSync(join(here, 'manifest.webmanifest'));
  const version = createHash('sha256').update(appJs).update(page).update(manifest).digest('hex').slice(0, 12);
  const sw = await build({ ...common, entryPoints: [join(here, 'sw.ts')], format: 'iife', define: { ...common.define, WALLET_VERSION: JSON.stringify(version) } });

  const files: Record<string, Uint8Array> = {
    'index.html': page,
    'app.js': appJs,
    'sw.js': sw.outputFiles[0]!.contents,
    'manifest.webmanifest': manifest,
    'icon-192.png': iconPng(192),
    'icon-512.png': iconPng(512),
    'config.json': Buffer.from(JSON.stringify({ rpcUrl: opts.rpcUrl ?? null }) + '\n'),
    'version.txt': Buffer.from(version + '\n'),
  };
  const bytes: Record<string, number> = {};
  for (const [name, body] of Object.entries(files)) {
    writeFileSync(join(outDir, name), body);
    bytes[name] = body.length;
  }
  copyFileSync(join(here, 'icon.svg'), join(outDir, 'icon.svg'));
  return { outDir, version, bytes };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** The app icon as a PNG (the SVG's pin: a green ring on the dark background), drawn pixel by pixel. */
export function iconPng(size: number): Buffer {
  const rows: Buffer[] = [];
  const c = size / 2;
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0, then RGBA
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x + 0.5 - c, y + 0.5 - c * 0.85) / size;
      const green = (d < 0.25 && d > 0.1) || (y > c * 0.85 && Math.abs(x + 0.5 - c) < (size * 0.84 - y) * 0.55 && y < size * 0.84);
      const hole = d <= 0.1;
      row.set(green && !hole ? [0x3d, 0xdc, 0x84, 0xff] : [0x10, 0x14, 0x18, 0xff], 1 + x * 4);
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, no filter method, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, rpc: { type: 'string' } } });
  const result = await buildWallet({ outDir: values.out, rpcUrl: values.rpc });
  const total = Object.values(result.bytes).reduce((a, b) => a + b, 0);
  process.stdout.write(`wallet ${result.version} -> ${result.outDir} (${Math.round(total / 1024)} KiB)\n`);
}
