/** `waymark config check`: validate a kiosk config file and name every bad field. */
import { resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { booleanFlag, stringFlag } from '../flags.js';
import { loadConfig } from '../../core/config.js';
import { ENV, DEFAULT_PATHS } from '../../core/paths.js';

export const configCheckCommand: CliCommand = {
  name: 'config check',
  summary: 'Validate a kiosk config file (every bad field is named)',
  options: {
    config: { type: 'string', description: `config file (default $${ENV.CONFIG} or ${DEFAULT_PATHS.configFile})` },
    json: { type: 'boolean', description: 'print the effective config (with defaults) as JSON' },
  },
  async run({ values }, io) {
    const path = resolve(io.cwd, stringFlag(values, 'config') ?? io.env[ENV.CONFIG] ?? DEFAULT_PATHS.configFile);
    const config = loadConfig(path, io.env);
    if (booleanFlag(values, 'json')) io.stdout(JSON.stringify({ valid: true, path, config }) + '\n');
    else io.stdout(`${path}: valid (venue "${config.venue.name}", radio ${config.radio.adapter}, data dir ${config.dataDir})\n`);
    return 0;
  },
};
