/**
 * A sender in its own process for the crash suite (test/integration/outbox-crash.test.ts):
 * `before-broadcast` kills itself with SIGKILL right after the signed commit is stored;
 * `run` sends until the test kills it.
 */
import { openDatabase } from '../../kiosk/store/database.js';
import { BatchStore } from '../../kiosk/batcher/batch-store.js';
import { BatchSender } from '../../kiosk/batcher/sender.js';
import { createOutboxChain } from '../../kiosk/batcher/outbox-chain.js';

const o = JSON.parse(process.env.OUTBOX_CHILD!) as { db: string; rpcUrl: string; registry: string; venueId: number; key: string; mode: 'before-broadcast' | 'run'; confirmations: number };
const store = new BatchStore(openDatabase(o.db));
const sender = new BatchSender({
  store,
  chain: createOutboxChain({ rpcUrl: o.rpcUrl, registry: o.registry, key: o.key, pollingIntervalMs: 20 }),
  venueId: o.venueId,
  confirmations: o.confirmations,
  maxFeeGwei: 200,
  pollMs: 30,
  beforeBroadcast: o.mode === 'before-broadcast' ? () => { process.kill(process.pid, 'SIGKILL'); } : undefined,
});
sender.start();
process.stdout.write('started\n');
