/** `waymark kiosk start`: the kiosk daemon, configured from one file. */
import { resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { loadConfig } from '../../core/config.js';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/log.js';
import { ENV, DEFAULT_PATHS } from '../../core/paths.js';
import { WaymarkError } from '../../core/errors.js';
import type { Scanner } from '../../core/ports.js';
import { Kiosk } from '../../kiosk/kiosk.js';
import { buildHttpApp } from '../../kiosk/http/server.js';
import { createNobleScanner } from '../../kiosk/radio/noble-scanner.js';
import { createVirtualRadio } from '../../kiosk/virtual-radio.js';

export const kioskStartCommand: CliCommand = {
  name: 'kiosk start',
  summary: 'Run the kiosk daemon (radio, store, HTTP) from a config file',
  options: {
    config: { type: 'string', description: `config file (default $${ENV.CONFIG} or ${DEFAULT_PATHS.configFile})` },
  },
  usage: `The config is validated first; every bad field is named. Stop with SIGINT/SIGTERM:
open sessions are closed and written before exit. See docs/OPERATIONS.md.`,
  async run({ values }, io) {
    const path = resolve(io.cwd, (values.config as string | undefined) ?? io.env[ENV.CONFIG] ?? DEFAULT_PATHS.configFile);
    const config = loadConfig(path, io.env);
    const logger = createLogger({ destination: 1 });
    const clock = systemClock;
    let scanner: Scanner;
    let stopRadio = async () => {};
    switch (config.radio.adapter) {
      case 'hci':
        scanner = await createNobleScanner({ deviceId: config.radio.hciDevice, socket: 'native', clock });
        break;
      case 'virtual': {
        const radio = await createVirtualRadio({ clock, seed: 1 });
        radio.start();
        scanner = radio.scanner;
        stopRadio = () => radio.stop();
        break;
      }
      case 'serial':
        throw new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', 'the serial co-processor adapter is not available in this version; use "hci" or "virtual"');
    }
    const kiosk = new Kiosk({ config, clock, scanner, logger });
    await kiosk.start();
    const app = await buildHttpApp(kiosk, { logger });
    await app.listen({ port: config.http.port, host: config.http.host });
    logger.info({ url: `http://${config.http.host}:${config.http.port}/` }, 'kiosk HTTP listening');
    await new Promise<void>((done) => io.signal.addEventListener('abort', () => done(), { once: true }));
    logger.info('stopping');
    await app.close();
    await stopRadio();
    await kiosk.stop();
    return 0;
  },
};
