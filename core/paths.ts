/**
 * Every host path and environment override the kiosk uses, named once. Tests and
 * installers point them elsewhere through the environment.
 */

export const ENV = {
  /** Path of the kiosk config file. */
  CONFIG: 'WAYMARK_CONFIG',
  /** Data directory (SQLite store, keys, certificates). */
  DATA_DIR: 'WAYMARK_DATA_DIR',
  /** HCI device index, e.g. 0 for hci0. */
  HCI_DEVICE: 'WAYMARK_HCI_DEVICE',
  /** Serial device of a radio co-processor, e.g. /dev/ttyACM0. */
  SERIAL_PORT: 'WAYMARK_SERIAL_PORT',
  /** HTTP port of the kiosk screen and API. */
  HTTP_PORT: 'WAYMARK_HTTP_PORT',
  /** JSON-RPC URL of the chain. */
  RPC_URL: 'WAYMARK_RPC_URL',
  /** Passphrase of the kiosk keystore (prefer chain.passphraseFile). */
  KEY_PASSPHRASE: 'WAYMARK_KEY_PASSPHRASE',
  /** Passphrase of an operator (or region authority) keystore used by `waymark provision`. */
  OPERATOR_KEY_PASSPHRASE: 'WAYMARK_OPERATOR_KEY_PASSPHRASE',
  /** The file systemd-timesyncd creates once the clock is synchronized (tests point it at a fixture). */
  TIMESYNC_FLAG: 'WAYMARK_TIMESYNC_FLAG',
  /** Log level (pino): trace, debug, info, warn, error, silent. */
  LOG_LEVEL: 'WAYMARK_LOG_LEVEL',
} as const;

export const DEFAULT_PATHS = {
  configFile: '/etc/waymark/config.json',
  dataDir: '/var/lib/waymark',
  serialPort: '/dev/ttyACM0',
  /** systemd-timesyncd touches this file once the clock is synchronized. */
  timesyncFlag: '/run/systemd/timesync/synchronized',
} as const;

export const STORE_FILE = 'waymark.db';
