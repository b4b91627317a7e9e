/**
 * The Scanner port on @abandonware/noble over an HCI socket: the kernel's (guarded), or a
 * virtual controller's. noble is loaded lazily, one instance per scanner, and owns the
 * adapter: power, scanning on and off, connections. The advertising reports themselves take
 * the hot path: the guarded socket hands their events to hci/parser.ts, never to noble
 * (ble-compat.ts `divertNobleAdvertisingReports`), so noble's per-packet formatting is skipped
 * and its per-address maps stay empty. On the 'noble' path (for comparison) noble parses them
 * and its maps are pruned after every report so rotating addresses cannot grow memory.
 * noble's warnings about the kiosk's own GATT links on the shared adapter are only counted.
 */
import { addressKindOf } from '../../core/address.js';
import { openNoble } from './noble-instance.js';
import { readAdvertisingReports } from './hci/parser.js';
import { socketChoiceName, type HciSocketChoice } from './hci/socket.js';
import { WaymarkError } from '../../core/errors.js';
import { TypedEmitter } from '../../core/events.js';
import type { Logger } from '../../core/log.js';
import type {
  AdvertisingReport,
  Clock,
  RadioState,
  Scanner,
  ScannerEvents,
  ScannerStats,
} from '../../core/ports.js';
import { type GuardedHciSocket, type HciGuardCounters } from './hci/guard.js';
import {
  divertNobleAdvertisingReports,
  forgetNoblePeripheral,
  nobleRetainedEntries,
  type DevicePoll,
  type NobleInstance,
  type NoblePeripheral,
  type NobleWarning,
  whenPoweredOn,
} from './ble-compat.js';

export interface NobleScannerOptions {
  /** HCI device number (hci0 = 0); default NOBLE_HCI_DEVICE_ID, else the first device that is up. */
  deviceId?: number;
  /** 'native' (default): the kernel's HCI socket; or another socket class of its API (the simulator's virtual controller). */
  socket?: HciSocketChoice;
  clock: Clock;
  /** Wait before scanning is restarted after something else stopped it (default 100 ms). */
  restartDelayMs?: number;
  /** How long start() waits for the adapter to power on (default 10 s). */
  powerOnTimeoutMs?: number;
  /** How often noble checks whether the adapter is up (default 1000 ms, as noble). */
  devicePollMs?: number;
  /**
   * Where noble's genuine warnings go, at warn level. Without one they go to
   * process.emitWarning (one line on stderr, no stack).
   */
  logger?: Logger;
  /**
   * Who parses the advertising reports: 'direct' (default) the scanner, from the guarded
   * socket, without noble; 'noble' noble's own parser and `discover` events (slower; kept
   * to compare against).
   */
  reportPath?: ReportPath;
}

export type ReportPath = 'direct' | 'noble';

export interface NobleScannerStats extends ScannerStats {
  /**
   * noble warnings about HCI events on connections noble does not hold: on an adapter
   * shared with bleno, the kiosk's own GATT links (link RSSI reads, disconnections).
   */
  foreignEvents: number;
  /** Other noble warnings (logged). */
  warnings: number;
  /**
   * `pruned`: reports whose address did not stay in noble's per-address maps: on the
   * 'noble' path forgotten after the discovery, on the 'direct' path never given to noble.
   */
  pruned: number;
}

export interface NobleScanner extends Scanner {
  stats(): NobleScannerStats;
  /** The guard's counters for this scanner's socket. */
  guardCounters(): HciGuardCounters;
  /** Entries left in noble's per-address maps (for leak checks). */
  retainedAddresses(): number;
  /** The noble instance, for diagnostics and tests. */
  readonly noble: NobleInstance;
  /** Who parses the advertising reports (NobleScannerOptions.reportPath). */
  readonly reportPath: ReportPath;
}


/** Copies what the kiosk needs out of a noble peripheral; the bytes are copied so no HCI buffer stays referenced. */
export function toAdvertisingReport(p: NoblePeripheral, time: number): AdvertisingReport {
  const addressType = p.addressType === 'random' ? 'random' : 'public';
  const adv = p.advertisement ?? {};
  const report: AdvertisingReport = {
    address: p.address.toLowerCase(),
    addressType,
    addressKind: addressKindOf(p.address, addressType),
    rssi: p.rssi,
    time,
    connectable: Boolean(p.connectable),
    serviceData: (adv.serviceData ?? []).map((sd) => ({ uuid: sd.uuid.toLowerCase(), data: new Uint8Array(sd.data) })),
  };
  if (adv.manufacturerData) report.manufacturerData = new Uint8Array(adv.manufacturerData);
  if (adv.localName !== undefined) report.localName = adv.localName;
  if (typeof adv.txPowerLevel === 'number') report.txPowerLevel = adv.txPowerLevel;
  return report;
}

function mapState(state: string): RadioState {
  switch (state) {
    case 'poweredOn':
    case 'poweredOff':
    case 'unsupported':
    case 'resetting':
      return state;
    case 'unauthorized':
      return 'unsupported';
    default:
      return 'unknown';
  }
}

/**
 * Makes a scanner on its own noble instance. Throws WAYMARK_ERR_RADIO_UNAVAILABLE when the
 * socket cannot be opened (no Bluetooth, no such device).
 */
export function createNobleScanner(opts: NobleScannerOptions): NobleScanner {
  return new NobleHciScanner(opts);
}

class NobleHciScanner extends TypedEmitter<ScannerEvents> implements NobleScanner {
  readonly name: string;
  readonly noble: NobleInstance;
  readonly #clock: Clock;
  readonly #socket: GuardedHciSocket;
  readonly #poll: DevicePoll;
  readonly #removeProcessListeners: () => void;
  readonly #restartDelayMs: number;
  readonly #powerOnTimeoutMs: number;
  readonly #log: Logger | undefined;
  #wantScanning = false;
  #scanning = false;
  #closed = false;
  #restartTimer: NodeJS.Timeout | null = null;
  #reports = 0;
  #restarts = 0;
  #pruned = 0;
  #foreignEvents = 0;
  #warnings = 0;
  readonly reportPath: ReportPath;
  /** start() was called: reports are passed on from then (noble's own gate is its first startScanning). */
  #started = false;
  #undivert: (() => void) | null = null;

  constructor(opts: NobleScannerOptions) {
    super();
    const kind = opts.socket ?? 'native';
    this.#clock = opts.clock;
    this.#restartDelayMs = opts.restartDelayMs ?? 100;
    this.#powerOnTimeoutMs = opts.powerOnTimeoutMs ?? 10_000;
    this.#log = opts.logger;

    // report every HCI advertising report (not only after a scan response), as a presence
    // logger needs; noble reads this per event
    process.env.NOBLE_REPORT_ALL_HCI_EVENTS ??= '1';
    const opened = openNoble({ kind, deviceId: opts.deviceId, devicePollMs: opts.devicePollMs, onWarning: this.#onWarning });
    const noble = opened.noble;
    this.noble = noble;
    this.#socket = opened.socket;
    this.#poll = opened.poll;
    this.#removeProcessListeners = opened.removeProcessListeners;
    const devId = opened.devId;
    this.name = kind === 'native' ? `noble/hci-socket(hci${devId})` : `noble/hci-socket(${socketChoiceName(kind)} hci${devId})`;

    this.reportPath = opts.reportPath ?? 'direct';
    noble.on('stateChange', this.#onStateChange);
    noble.on('scanStart', this.#onScanStart);
    noble.on('scanStop', this.#onScanStop);
    if (this.reportPath === 'direct') this.#undivert = divertNobleAdvertisingReports(noble, this.#onAdvertisingEvent);
    else noble.on('discover', this.#onDiscover);
  }

  async start(): Promise<void> {
    if (this.#closed) throw new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name} is closed`);
    this.#wantScanning = true;
    this.#started = true;
    await this.#whenPoweredOn();
    if (this.#scanning) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name}: scanning did not start`)),
        this.#powerOnTimeoutMs,
      );
      this.noble.startScanning([], true, (err) => {
        clearTimeout(timer);
        if (err) reject(new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name}: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  async stop(): Promise<void> {
    this.#wantScanning = false;
    this.#clearRestart();
    if (this.#closed || !this.#scanning || this.noble.state !== 'poweredOn') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      this.noble.stopScanning(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  stats(): NobleScannerStats {
    const g = this.#socket.guard.counters;
    return {
      reports: this.#reports,
      dropped: g.hciMalformed + g.adMalformed + g.rssiOutOfRange,
      restarts: this.#restarts,
      pruned: this.#pruned,
      foreignEvents: this.#foreignEvents,
      warnings: this.#warnings,
    };
  }

  guardCounters(): HciGuardCounters {
    return { ...this.#socket.guard.counters };
  }

  retainedAddresses(): number {
    const n = nobleRetainedEntries(this.noble);
    return n.peripherals + n.discoveredUuids + n.addresses + n.discoveries;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#wantScanning = false;
    this.#clearRestart();
    this.#poll.stop();
    if (this.#scanning && this.noble.state === 'poweredOn') {
      try {
        this.noble.stopScanning();
      } catch {
        // the adapter may already be gone
      }
    }
    this.#closed = true;
    this.noble.off('stateChange', this.#onStateChange);
    this.noble.off('scanStart', this.#onScanStart);
    this.noble.off('scanStop', this.#onScanStop);
    this.noble.off('discover', this.#onDiscover);
    this.#undivert?.();
    this.#undivert = null;
    this.#removeProcessListeners();
    this.#socket.stop();
    (this.#socket.inner as { close?: () => void }).close?.();
    this.#scanning = false;
  }

  // ---- noble events -----------------------------------------------------------------

  #onStateChange = (state: string): void => {
    if (this.#closed) return;
    this.emit('state', mapState(state));
    if (state === 'unauthorized') this.#emitError(new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name}: not permitted (run with CAP_NET_RAW)`));
    if (state !== 'poweredOn') {
      this.#scanning = false;
    } else if (this.#wantScanning && !this.#scanning) {
      this.#scheduleRestart(); // back after a power cycle
    }
  };

  #onScanStart = (): void => {
    this.#scanning = true;
  };

  #onScanStop = (): void => {
    this.#scanning = false;
    if (this.#wantScanning && !this.#closed) this.#scheduleRestart();
  };

  /** The hot path: one advertising report event from the guarded socket, noble bypassed. */
  #onAdvertisingEvent = (event: Uint8Array): void => {
    if (!this.#started || this.#closed) return;
    readAdvertisingReports(event, this.#clock.now(), this.#emitReport);
  };

  #emitReport = (report: AdvertisingReport): void => {
    this.#reports++;
    this.#pruned++;
    this.emit('report', report);
  };

  #onDiscover = (p: NoblePeripheral): void => {
    const report = toAdvertisingReport(p, this.#clock.now());
    this.#prune(p.uuid, p.address);
    this.#reports++;
    this.emit('report', report);
  };

  /** Not radio failures: the radio keeps working through both kinds. */
  #onWarning = (warning: NobleWarning): void => {
    if (this.#closed) return;
    if (warning.kind === 'foreign') {
      this.#foreignEvents++;
      return;
    }
    this.#warnings++;
    if (this.#log) this.#log.warn({ radio: this.name, warning: warning.message }, 'noble warning');
    else process.emitWarning(`${this.name}: ${warning.message}`, 'NobleWarning');
  };

  // ---- internals --------------------------------------------------------------------

  /** Forgets an address in every map noble keeps per address, unless someone holds a connection to it. */
  #prune(uuid: string, address: string): void {
    if (forgetNoblePeripheral(this.noble, uuid, address)) this.#pruned++;
  }

  #scheduleRestart(): void {
    if (this.#restartTimer || this.#closed) return;
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (!this.#wantScanning || this.#scanning || this.#closed || this.noble.state !== 'poweredOn') return;
      this.#restarts++;
      this.noble.startScanning([], true, (err) => {
        if (err) this.#emitError(new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name}: restart failed: ${err.message}`, { cause: err }));
      });
    }, this.#restartDelayMs);
  }

  #clearRestart(): void {
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
  }

  #whenPoweredOn(): Promise<void> {
    return whenPoweredOn(this.noble, this.#powerOnTimeoutMs, () => new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name}: adapter did not power on (state ${this.noble.state})`));
  }

  #emitError(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

