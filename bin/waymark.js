#!/usr/bin/env node
// The `waymark` command. Runs the compiled CLI from dist/ when `npm run build` has made
// it, otherwise the TypeScript sources through tsx.
import { existsSync } from 'node:fs';

const dist = new URL('../dist/cli/waymark.js', import.meta.url);
if (existsSync(dist) && !process.env.WAYMARK_FROM_SOURCE) {
  await import(dist.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../cli/waymark.ts', import.meta.url).href);
}
