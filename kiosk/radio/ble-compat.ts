/**
 * The one module that reaches into @abandonware/noble's (1.9.2-26) and @abandonware/bleno's
 * (0.6.2) private internals: their hci-socket bindings, the maps noble never prunes, the
 * device-poll loop neither lets anyone stop, the warnings noble prints on its own, and the
 * advertising reports the scanner reads itself instead of noble.
 * Opening either library first checks that the installed version is the one this was written against.
 */
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import { WaymarkError } from '../../core/errors.js';
import type { HciSocketLike } from './hci/socket.js';
import type { GuardedHciSocket } from './hci/guard.js';

/** The exact versions whose internals this module knows; package.json pins the same. */
export const SUPPORTED_VERSIONS = { noble: '1.9.2-26', bleno: '0.6.2' } as const;

export type BleLibrary = keyof typeof SUPPORTED_VERSIONS;

const here = createRequire(import.meta.url);

/** The version in the installed library's package.json. */
export function installedVersion(library: BleLibrary): string {
  return (here(`@abandonware/${library}/package.json`) as { version: string }).version;
}

/**
 * Throws WAYMARK_ERR_RADIO_UNAVAILABLE unless the installed `library` is exactly the
 * version this module was written for: another version may lay out its internals
 * differently, and the radio would then fail in ways no error names.
 */
export function assertSupportedVersion(library: BleLibrary, readVersion: (library: BleLibrary) => string = installedVersion): void {
  const name = `@abandonware/${library}`;
  const expected = SUPPORTED_VERSIONS[library];
  let installed: string;
  try {
    installed = readVersion(library);
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${name} is not installed (Waymark needs exactly ${expected}): ${(err as Error)?.message ?? String(err)}`, {
      cause: err,
      details: { library: name, installed: null, expected },
    });
  }
  if (installed !== expected) {
    throw new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE',
      `${name} ${installed} is installed, but kiosk/radio/ble-compat.ts was written against its internals as of exactly ${expected}; ` +
      `run npm ci to install ${expected}, or port ble-compat.ts to ${installed}`,
      { details: { library: name, installed, expected } });
  }
}

export interface NobleAdvertisement {
  localName?: string;
  txPowerLevel?: number;
  manufacturerData?: Buffer;
  serviceData?: { uuid: string; data: Buffer }[];
  serviceUuids?: string[];
}

export interface NoblePeripheral {
  uuid: string;
  address: string;
  addressType: string;
  connectable: boolean;
  rssi: number;
  advertisement: NobleAdvertisement;
}

/** noble's public API as Waymark uses it; its internals are reached only through this module. */
export interface NobleInstance extends EventEmitter {
  readonly state: string;
  address: string;
  startScanning(serviceUuids: string[], allowDuplicates: boolean, callback?: (err?: Error | null) => void): void;
  stopScanning(callback?: () => void): void;
}

/** bleno's public surface this module needs (the rest is typed by bleno-advertiser.ts). */
export type BlenoLike = EventEmitter & { state: string };

/** noble's lib/hci-socket/hci.js Hci (and, for the members used, bleno's). */
interface HciInternals extends EventEmitter {
  _socket: HciSocketLike;
  _isDevUp: boolean | null;
  _state: string | null;
  _isExtended?: boolean;
  pollIsDevUp(): void;
  init(): void;
  setSocketFilter(): void;
  setEventMask(): void;
  setLeEventMask(): void;
  readLocalVersion(): void;
  writeLeHostSupported(): void;
  readLeHostSupported(): void;
  readLeBufferSize?(): void;
  leReadBufferSize?(): void;
  readBdAddr(): void;
  setCodedPhySupport?(): void;
  initDev?(): void;
  setAdvertisingParameters?(): void;
  setAdvertiseEnable?(enabled: boolean): void;
  disconnect(handle: number): void;
}

/** noble's lib/hci-socket/bindings.js NobleBindings. */
interface NobleBindingsInternals extends EventEmitter {
  _state: string | null;
  _hci: HciInternals;
  _gap: EventEmitter & { _discoveries: Record<string, unknown> };
  _addresses: Record<string, unknown>;
  _addresseTypes: Record<string, unknown>;
  _connectable: Record<string, unknown>;
  scannable: Record<string, unknown>;
  /** peripheral uuid -> connection handle, and handle -> uuid */
  _handles: Record<string, unknown>;
  _aclStreams: Record<string, unknown>;
  onStateChange(state: string): void;
}

/** noble's lib/noble.js Noble. */
interface NobleInternals extends NobleInstance {
  initialized?: boolean;
  _bindings: NobleBindingsInternals;
  _peripherals: Record<string, unknown>;
  _services: Record<string, unknown>;
  _characteristics: Record<string, unknown>;
  _descriptors: Record<string, unknown>;
  _discoveredPeripheralUUids: Record<string, unknown>;
}

/** bleno's lib/bleno.js Bleno and its hci-socket bindings. */
interface BlenoInternals extends BlenoLike {
  _bindings: EventEmitter & {
    _hci: HciInternals;
    _handle: number | null;
    _gatt: { _handles: ({ type: string; uuid: string; valueHandle?: number } | undefined)[] };
  };
}

const nobleInternals = (noble: NobleInstance) => noble as NobleInternals;
const blenoInternals = (bleno: BlenoLike) => bleno as BlenoInternals;

// ---- noble --------------------------------------------------------------------------

/**
 * The HCI socket under a noble instance. Throws WAYMARK_ERR_RADIO_UNAVAILABLE when noble
 * chose other bindings (NOBLE_WEBSOCKET or NOBLE_DISTRIBUTED set).
 */
export function nobleHciSocket(noble: NobleInstance): HciSocketLike {
  const bindings = nobleInternals(noble)._bindings;
  if (!bindings?._hci?._socket || !bindings._gap) {
    throw new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', 'noble is not using its hci-socket bindings (NOBLE_WEBSOCKET or NOBLE_DISTRIBUTED set?)');
  }
  return bindings._hci._socket;
}

/**
 * Takes the LE (Extended) Advertising Report events away from noble: from now on they go
 * from noble's guarded socket straight to `sink`. noble's Hci never formats or parses them,
 * its gap emits no `discover`, its per-address maps stay empty; commands and their
 * completions (scanning on and off), connection and disconnection events and ACL data (the
 * GATT tap's links) still reach noble as before. Returns the undo. Throws
 * WAYMARK_ERR_RADIO_UNAVAILABLE when noble's socket is not behind the packet guard.
 */
export function divertNobleAdvertisingReports(noble: NobleInstance, sink: (event: Uint8Array) => void): () => void {
  const socket = nobleHciSocket(noble) as HciSocketLike & Partial<Pick<GuardedHciSocket, 'divertAdvertisingReports'>>;
  const divert = socket.divertAdvertisingReports;
  if (typeof divert !== 'function') {
    throw new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', "noble's HCI socket is not behind the packet guard: its advertising reports cannot be read directly");
  }
  divert.call(socket, sink);
  return () => divert.call(socket, null);
}

/** Entries in each per-address map noble keeps (for leak checks). */
export function nobleRetainedEntries(noble: NobleInstance): Record<'peripherals' | 'services' | 'characteristics' | 'descriptors' | 'discoveredUuids' | 'addresses' | 'discoveries', number> {
  const n = nobleInternals(noble);
  const b = n._bindings;
  const size = (o: object) => Object.keys(o).length;
  return {
    peripherals: size(n._peripherals),
    services: size(n._services),
    characteristics: size(n._characteristics),
    descriptors: size(n._descriptors),
    discoveredUuids: size(n._discoveredPeripheralUUids),
    addresses: size(b._addresses),
    discoveries: size(b._gap._discoveries),
  };
}

/**
 * Forgets a peripheral in every map noble keeps per address, none of which noble prunes
 * itself. Returns false (and forgets nothing) while noble holds a connection to it.
 */
export function forgetNoblePeripheral(noble: NobleInstance, uuid: string, address: string): boolean {
  const n = nobleInternals(noble);
  const b = n._bindings;
  if (b._handles[uuid] !== undefined) return false;
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
  return true;
}

/** The HCI connection handle of noble's link to a peripheral, if it has one. */
export function nobleConnectionHandle(noble: NobleInstance, peripheralUuid: string): number | undefined {
  const handle = nobleInternals(noble)._bindings._handles[peripheralUuid];
  return typeof handle === 'number' ? handle : undefined;
}

/** Sends HCI Disconnect for every link noble holds (noble only does this in its exit handler). */
export function disconnectNobleLinks(noble: NobleInstance): void {
  const b = nobleInternals(noble)._bindings;
  for (const handle of Object.keys(b._aclStreams)) b._hci.disconnect(Number(handle));
}

// ---- noble's warnings -----------------------------------------------------------------

/**
 * One warning from noble. `foreign`: an HCI event about a connection noble does not hold.
 * On an adapter shared with bleno these are the kiosk's own GATT links: noble sees the
 * Read RSSI answers and Disconnection Complete events of bleno's connections, fails to
 * find the handle, and warns. `genuine`: anything else noble warns about.
 */
export interface NobleWarning {
  kind: 'foreign' | 'genuine';
  /** noble's text, without its "noble warning: " / "noble: " prefix. */
  message: string;
}

/**
 * Foreign warnings in noble 1.9.2-26: bindings.onDisconnComplete prints "unknown handle N
 * disconnected!"; bindings.onRssiRead / onLeConnComplete pass noble.js the uuid of a
 * handle they do not know (undefined, or null for a failed connection noble did not
 * start), which it reports as "unknown peripheral undefined RSSI update!" and the like.
 */
const FOREIGN_WARNINGS = [
  /^unknown handle \d+ disconnected!$/,
  /^unknown peripheral (undefined|null)( |,|!|$)/,
];

/** Sorts one of noble's warning texts (as emitted, or as printed with its prefix). */
export function classifyNobleWarning(text: string): NobleWarning {
  const message = text.replace(/^noble( warning)?: /, '').trim();
  return { kind: FOREIGN_WARNINGS.some((re) => re.test(message)) ? 'foreign' : 'genuine', message };
}

/** What noble prints by itself (bindings.js and hci.js call console.warn directly). */
const NOBLE_PRINTED = /^(noble warning: |processLe\w*AdvertisingReport: )/;

/** NobleBindings methods that console.warn (the rest is called through noble's 'warning' event). */
const PRINTING_BINDINGS_METHODS = [
  'onDisconnComplete', 'addService', 'discoverServices', 'discoverIncludedServices', 'addCharacteristics',
  'discoverCharacteristics', 'read', 'write', 'broadcast', 'notify', 'discoverDescriptors', 'readValue',
  'writeValue', 'readHandle', 'writeHandle',
] as const;
// (gap.js onHciError console.warns too, but listens for an 'error' hci.js never emits.)
const PRINTING_HCI_METHODS = ['processLeAdvertisingReport', 'processLeExtendedAdvertisingReport'] as const;

/**
 * Sends every warning of a noble instance to `onWarning`, classified, instead of the
 * console: a 'warning' listener (noble.js console.warns only while it has none of its
 * own), and the methods of its bindings and Hci that console.warn directly, wrapped so the
 * lines they print come here. noble's adapter-state lines (unauthorized, unsupported) are
 * dropped: the adapters report those states themselves. Call before the first read of
 * `noble.state`, which binds these methods to the socket's events.
 */
export function routeNobleWarnings(noble: NobleInstance, onWarning: (warning: NobleWarning) => void): void {
  const n = nobleInternals(noble);
  if (n.initialized) throw new Error('routeNobleWarnings: noble is already initialised');
  const printed = (text: string) => onWarning(classifyNobleWarning(text));
  n.on('warning', (message: string) => onWarning(classifyNobleWarning(String(message))));
  const bindings = n._bindings;
  routeConsole(bindings as unknown as Record<string, unknown>, PRINTING_BINDINGS_METHODS, printed);
  routeConsole(bindings._hci as unknown as Record<string, unknown>, PRINTING_HCI_METHODS, printed);
  // bindings.js onStateChange without its console.log lines
  bindings.onStateChange = function onStateChange(this: NobleBindingsInternals, state: string): void {
    if (this._state === state) return;
    this._state = state;
    this.emit('stateChange', state);
  };
}

/**
 * Wraps each named method so that, while it runs, console.warn and console.log lines that
 * are noble's own (NOBLE_PRINTED) go to `sink`; any other line still reaches the console.
 */
function routeConsole(target: Record<string, unknown>, names: readonly string[], sink: (text: string) => void): void {
  for (const name of names) {
    const original = target[name];
    if (typeof original !== 'function') throw new Error(`noble internals changed: no ${name}()`);
    target[name] = function routed(this: unknown, ...args: unknown[]): unknown {
      const { warn, log } = console;
      const route = (fallback: (...a: unknown[]) => void) => (...a: unknown[]) => {
        const text = a.map(String).join(' ');
        if (NOBLE_PRINTED.test(text)) sink(text);
        else fallback.apply(console, a);
      };
      console.warn = route(warn);
      console.log = route(log);
      try {
        return original.apply(this, args);
      } finally {
        console.warn = warn;
        console.log = log;
      }
    };
  }
}

// ---- bleno --------------------------------------------------------------------------

/** The HCI socket under a bleno instance. */
export function blenoHciSocket(bleno: BlenoLike): HciSocketLike {
  return blenoInternals(bleno)._bindings._hci._socket;
}

/** The connection handle of the central bleno serves, or null. */
export function blenoConnectionHandle(bleno: BlenoLike): number | null {
  return blenoInternals(bleno)._bindings._handle;
}

/** The ATT handle of a characteristic's value in bleno's attribute table (`uuid` without dashes, lower case). */
export function blenoValueHandle(bleno: BlenoLike, uuid: string): number | undefined {
  for (const h of blenoInternals(bleno)._bindings._gatt._handles) {
    if (h?.type === 'characteristic' && h.uuid === uuid) return h.valueHandle;
  }
  return undefined;
}

/** HCI LE Set Advertising Enable through bleno's Hci (bleno has no public call for it). */
export function setBlenoAdvertiseEnable(bleno: BlenoLike, enabled: boolean): void {
  blenoInternals(bleno)._bindings._hci.setAdvertiseEnable?.(enabled);
}

/** HCI LE Set Advertising Parameters through bleno's Hci; it reads the interval from BLENO_ADVERTISING_INTERVAL. */
export function setBlenoAdvertisingParameters(bleno: BlenoLike): void {
  blenoInternals(bleno)._bindings._hci.setAdvertisingParameters?.();
}

// ---- both ---------------------------------------------------------------------------

/** A device-poll loop the caller can stop: `stop()` clears the pending timer. */
export interface DevicePoll {
  stop(): void;
}

/** noble's device poll, on a timer the caller can stop (see takeOverDevicePoll). Call before the first read of `noble.state`. */
export function takeOverNobleDevicePoll(noble: NobleInstance, intervalMs = 1000): DevicePoll {
  return takeOverDevicePoll(nobleInternals(noble)._bindings._hci, 'noble', intervalMs);
}

/** bleno's device poll, on a timer the caller can stop (see takeOverDevicePoll). */
export function takeOverBlenoDevicePoll(bleno: BlenoLike, intervalMs = 1000): DevicePoll {
  return takeOverDevicePoll(blenoInternals(bleno)._bindings._hci, 'bleno', intervalMs);
}

/**
 * Replaces `hci.pollIsDevUp` (which re-arms an anonymous 1 s setTimeout forever, keeping
 * the process alive) with the same steps on a timer we keep. `library` picks noble's or
 * bleno's power-up sequence; both are copied from their hci.js.
 */
function takeOverDevicePoll(hci: HciInternals, library: BleLibrary, intervalMs: number): DevicePoll {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  hci.pollIsDevUp = function pollIsDevUp(this: HciInternals): void {
    if (stopped) return;
    const isDevUp = this._socket.isDevUp();
    if (this._isDevUp !== isDevUp) {
      if (isDevUp) {
        if (library === 'noble') {
          if (this._state === 'poweredOff') {
            this._socket.removeAllListeners();
            this._state = null;
            this.init();
            return;
          }
          if (this._isExtended) this.setCodedPhySupport?.();
          this.setSocketFilter();
          this.setEventMask();
          this.setLeEventMask();
          this.readLocalVersion();
          this.writeLeHostSupported();
          this.readLeHostSupported();
          this.readLeBufferSize?.();
          this.readBdAddr();
        } else {
          this.setSocketFilter();
          this.initDev?.();
        }
      } else {
        this.emit('stateChange', 'poweredOff');
      }
      this._isDevUp = isDevUp;
    }
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => this.pollIsDevUp(), intervalMs);
    timer.unref();
  };
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

/**
 * Runs `init` and returns a function that removes the process listeners it added (noble
 * and bleno add SIGINT and exit handlers they never remove). If `init` throws, they are
 * removed at once.
 */
export function captureProcessListeners(init: () => void): () => void {
  const events = ['SIGINT', 'exit'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
  const added = (): [string, (...a: unknown[]) => void][] =>
    events.flatMap((e) => process.listeners(e as 'exit')
      .filter((l) => !before.get(e)!.has(l))
      .map((l) => [e, l as (...a: unknown[]) => void] as [string, (...a: unknown[]) => void]));
  const remove = (listeners: [string, (...a: unknown[]) => void][]) => () => {
    for (const [e, l] of listeners) process.removeListener(e, l);
  };
  try {
    init();
  } catch (err) {
    remove(added())();
    throw err;
  }
  return remove(added());
}

/** Resolves once a noble or bleno instance reports poweredOn; rejects with `onTimeout()` after `timeoutMs`. */
export function whenPoweredOn(lib: EventEmitter & { state: string }, timeoutMs: number, onTimeout: () => Error): Promise<void> {
  if (lib.state === 'poweredOn') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onState = (state: string) => {
      if (state !== 'poweredOn') return;
      clearTimeout(timer);
      lib.off('stateChange', onState);
      resolve();
    };
    const timer = setTimeout(() => {
      lib.off('stateChange', onState);
      reject(onTimeout());
    }, timeoutMs);
    lib.on('stateChange', onState);
  });
}
