/** Program entry: `node --import tsx cli/waymark.ts` or dist/cli/waymark.js. */
import { main } from './main.js';

await main();
