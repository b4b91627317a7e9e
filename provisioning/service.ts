/**
 * `provision service install`: renders the kiosk's systemd unit from one template (the
 * shipped deploy/waymark.service is this template with its defaults; a test pins that)
 * and writes it, returning the systemctl commands that enable it.
 */
import { existsSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WaymarkError } from '../core/errors.js';
import { ENV, DEFAULT_PATHS } from '../core/paths.js';

export interface ServiceUnitOptions {
  /** Unit name without `.service`. */
  name?: string;
  user?: string;
  group?: string;
  configFile?: string;
  dataDir?: string;
  envFile?: string;
  /** The command that runs `waymark`, by absolute path, e.g. `/usr/bin/node /opt/waymark/bin/waymark.js`. */
  exec?: string;
}

export const SERVICE_DEFAULTS: Required<ServiceUnitOptions> = {
  name: 'waymark',
  user: 'waymark',
  group: 'waymark',
  configFile: DEFAULT_PATHS.configFile,
  dataDir: DEFAULT_PATHS.dataDir,
  envFile: '/etc/waymark/env',
  exec: '/usr/bin/node /opt/waymark/bin/waymark.js',
};

/** This installation's node and bin/waymark.js, by absolute path (what `service install` writes by default). */
export function installedExec(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'bin', 'waymark.js')) && dirname(dir) !== dir) dir = dirname(dir);
  return `${process.execPath} ${join(dir, 'bin', 'waymark.js')}`;
}

const SAFE_VALUE = /^[A-Za-z0-9_./@+:-]+$/;

function check(field: string, value: string, pattern = SAFE_VALUE): string {
  if (!pattern.test(value)) throw new WaymarkError('WAYMARK_ERR_USAGE', `--${field} ${JSON.stringify(value)} has characters a unit file cannot carry safely`, { details: { field } });
  return value;
}

/** The [Unit]..[Install] body of the unit. */
export function renderServiceUnit(options: ServiceUnitOptions = {}): string {
  const o = { ...SERVICE_DEFAULTS, ...options };
  for (const [field, value] of Object.entries({ name: o.name, user: o.user, group: o.group, config: o.configFile, 'data-dir': o.dataDir, 'env-file': o.envFile })) check(field, value);
  check('exec', o.exec, /^\/[A-Za-z0-9_./@+: -]+$/);
  if (!o.dataDir.startsWith('/')) throw new WaymarkError('WAYMARK_ERR_USAGE', '--data-dir must be an absolute path', { details: { field: 'data-dir' } });
  // systemd creates and chowns /var/lib/<x> itself when it is named as a StateDirectory
  const stateDir = o.dataDir.startsWith('/var/lib/') ? o.dataDir.slice('/var/lib/'.length) : undefined;
  return [
    '[Unit]',
    'Description=Waymark venue kiosk',
    'After=network-online.target bluetooth.target time-sync.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `User=${o.user}`,
    `Group=${o.group}`,
    `EnvironmentFile=-${o.envFile}`,
    `Environment=${ENV.CONFIG}=${o.configFile}`,
    // the data dir comes from the config alone (no WAYMARK_DATA_DIR here to override it)
    ...(stateDir ? [`StateDirectory=${stateDir}`, 'StateDirectoryMode=0700'] : []),
    'UMask=0077',
    `ExecStart=${o.exec} kiosk start --config \${${ENV.CONFIG}}`,
    'Restart=on-failure',
    'RestartSec=5',
    'AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN',
    'NoNewPrivileges=true',
    'ProtectSystem=strict',
    `ReadWritePaths=${o.dataDir}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

export function renderServiceFile(options: ServiceUnitOptions = {}): string {
  const name = options.name ?? SERVICE_DEFAULTS.name;
  return `# systemd unit for the Waymark kiosk daemon, written by 'waymark provision service install'.
# Enable it with:
#   sudo systemctl daemon-reload && sudo systemctl enable --now ${name}
${renderServiceUnit(options)}`;
}

export interface InstalledService {
  unitFile: string;
  unitName: string;
  commands: string[];
}

export function installService(unitDir: string, options: ServiceUnitOptions & { force?: boolean } = {}): InstalledService {
  const name = check('name', options.name ?? SERVICE_DEFAULTS.name);
  const unitFile = join(unitDir, `${name}.service`);
  if (existsSync(unitFile) && !options.force) throw new WaymarkError('WAYMARK_ERR_USAGE', `${unitFile} exists (pass --force to replace it)`, { details: { field: 'unit-dir' } });
  const text = renderServiceFile(options);
  mkdirSync(unitDir, { recursive: true });
  writeFileSync(`${unitFile}.tmp`, text, { mode: 0o644 });
  renameSync(`${unitFile}.tmp`, unitFile);
  return {
    unitFile,
    unitName: `${name}.service`,
    commands: ['sudo systemctl daemon-reload', `sudo systemctl enable --now ${name}.service`, `systemctl status ${name}.service`, `journalctl -u ${name}.service -f -o cat`],
  };
}
