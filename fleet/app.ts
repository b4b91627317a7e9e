/** Where the fleet's Ponder app lives and how to start its engine (for `waymark fleet serve`). */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { FLEET_ENV } from './settings.js';

/** The Ponder project root: this folder (ponder.config.ts, ponder.schema.ts, src/). */
export const FLEET_APP_DIR = dirname(fileURLToPath(import.meta.url));

/** Ponder's CLI entry point, run with the current node. */
export function ponderBinPath(): string {
  const entry = fileURLToPath(import.meta.resolve('ponder'));
  return join(dirname(entry), 'bin', 'ponder.js');
}
