/**
 * The Scanner port on @abandonware/noble over an HCI socket: the kernel's (guarded), or a
 * virtual controller's. noble is loaded lazily, one instance per scanner, and its
 * per-address maps are pruned after every report so rotating addresses cannot grow memory.
 */
import { addressKindOf } from '../../core/address.js';
import { openNoble } from './noble-instance.js';
import { socketChoiceName, type HciSocketChoice } from './hci/socket.js';
import { WaymarkError } from '../../core/errors.js';
import { TypedEmitter } from '../../core/events.js';
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
  type DevicePoll,
  type NobleInstance,
  type NoblePeripheral,
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
}

export interface NobleScanner extends Scanner {
  /** The guard's counters for this scanner's socket. */
  guardCounters(): HciGuardCounters;
  /** Entries left in noble's per-address maps (for leak checks). */
  retainedAddresses(): number;
  /** The noble instance, for diagnostics and tests. */
  readonly noble: NobleInstance;
}


/** How the top two bits of a random address classify it (Core spec Vol 6 Part B 1.3). */

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
  #wantScanning = false;
  #scanning = false;
  #closed = false;
  #restartTimer: NodeJS.Timeout | null = null;
  #reports = 0;
  #restarts = 0;
  #pruned = 0;

  constructor(opts: NobleScannerOptions) {
    super();
    const kind = opts.socket ?? 'native';
    this.#clock = opts.clock;
    this.#restartDelayMs = opts.restartDelayMs ?? 100;
    this.#powerOnTimeoutMs = opts.powerOnTimeoutMs ?? 10_000;

    // report every HCI advertising report (not only after a scan response), as a presence
    // logger needs; noble reads this per event
    process.env.NOBLE_REPORT_ALL_HCI_EVENTS ??= '1';
    const opened = openNoble({ kind, deviceId: opts.deviceId, devicePollMs: opts.devicePollMs });
    const noble = opened.noble;
    this.noble = noble;
    this.#socket = opened.socket;
    this.#poll = opened.poll;
    this.#removeProcessListeners = opened.removeProcessListeners;
    const devId = opened.devId;
    this.name = kind === 'native' ? `noble/hci-socket(hci${devId})` : `noble/hci-socket(${socketChoiceName(kind)} hci${devId})`;

    noble.on('stateChange', this.#onStateChange);
    noble.on('scanStart', this.#onScanStart);
    noble.on('scanStop', this.#onScanStop);
    noble.on('discover', this.#onDiscover);
    noble.on('warning', this.#onWarning);
  }

  async start(): Promise<void> {
    if (this.#closed) throw new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name} is closed`);
    this.#wantScanning = true;
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

  stats(): ScannerStats {
    const g = this.#socket.guard.counters;
    return {
      reports: this.#reports,
      dropped: g.hciMalformed + g.adMalformed + g.rssiOutOfRange,
      restarts: this.#restarts,
      pruned: this.#pruned,
    };
  }

  guardCounters(): HciGuardCounters {
    return { ...this.#socket.guard.counters };
  }

  retainedAddresses(): number {
    const n = this.noble;
    const b = n._bindings;
    return Object.keys(n._peripherals).length + Object.keys(n._discoveredPeripheralUUids).length +
      Object.keys(b._addresses).length + Object.keys(b._gap._discoveries).length;
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
    this.noble.off('warning', this.#onWarning);
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

  #onDiscover = (p: NoblePeripheral): void => {
    const report = toAdvertisingReport(p, this.#clock.now());
    this.#prune(p.uuid, p.address);
    this.#reports++;
    this.emit('report', report);
  };

  #onWarning = (message: string): void => {
    this.#emitError(new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name}: noble warning: ${message}`));
  };

  // ---- internals --------------------------------------------------------------------

  /** Forgets an address in every map noble keeps per address (none of which noble prunes itself). */
  #prune(uuid: string, address: string): void {
    const n = this.noble;
    const b = n._bindings;
    if (b._handles[uuid] !== undefined) return; // someone holds a connection to it
    delete n._peripherals[uuid];
    delete n._services[uuid];
    delete n._characteristics[uuid];
    delete n._descriptors[uuid];
    delete n._discoveredPeripheralUUids[uuid];
    delete b._addresses[uuid];
    delete b._addresseTypes[uuid];
    delete b._connectable[uuid];
    delete b.scannable[uuid];
    delete b._gap._discoveries[address];
    this.#pruned++;
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

