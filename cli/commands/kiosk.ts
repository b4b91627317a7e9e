/** `waymark kiosk start`: the kiosk daemon, configured from one file, on the configured radio. */
import { resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { stringFlag } from '../flags.js';
import { loadConfig } from '../../core/config.js';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/log.js';
import { ENV, DEFAULT_PATHS } from '../../core/paths.js';
import { startKioskDaemon } from '../../kiosk/daemon.js';
import { openConfiguredRadio } from '../radio.js';
import { untilAborted } from '../signals.js';

export const kioskStartCommand: CliCommand = {
  name: 'kiosk start',
  summary: 'Run the kiosk daemon (radio, store, check-in, beacon, anchoring, HTTP) from a config file',
  options: {
    config: { type: 'string', description: `config file (default $${ENV.CONFIG} or ${DEFAULT_PATHS.configFile})` },
  },
  usage: `The config is validated first; every bad field is named. Stop with SIGINT/SIGTERM:
open sessions are closed and written before exit. See docs/OPERATIONS.md.`,
  async run({ values }, io) {
    const path = resolve(io.cwd, stringFlag(values, 'config') ?? io.env[ENV.CONFIG] ?? DEFAULT_PATHS.configFile);
    const config = loadConfig(path, io.env);
    // nothing logged may carry the RPC URL's credentials or API key
    const logger = createLogger({ destination: 1, level: io.env[ENV.LOG_LEVEL], secrets: config.chain.rpcUrl ? [config.chain.rpcUrl] : [] });
    const clock = systemClock;
    const radio = await openConfiguredRadio({ config, clock, logger });
    const daemon = await startKioskDaemon({ config, clock, radio, logger, env: io.env });
    await untilAborted(io.signal);
    await daemon.stop();
    return 0;
  },
};
