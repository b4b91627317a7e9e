/**
 * The parts of @abandonware/noble's (1.9.2-26) and @abandonware/bleno's (0.6.2) hci-socket
 * internals the radio adapters reach into: the maps noble never prunes, and the
 * device-poll loop whose timer neither library lets anyone stop.
 */
import type { EventEmitter } from 'node:events';
import type { HciSocketLike } from './hci/socket.js';

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

/** noble's lib/hci-socket/hci.js Hci (and, for the members used, bleno's). */
export interface HciInternals extends EventEmitter {
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
}

export interface NobleHciBindings extends EventEmitter {
  _hci: HciInternals;
  _gap: EventEmitter & { _discoveries: Record<string, unknown> };
  _addresses: Record<string, unknown>;
  _addresseTypes: Record<string, unknown>;
  _connectable: Record<string, unknown>;
  scannable: Record<string, unknown>;
  _handles: Record<string, unknown>;
  onSigIntBinded?: (...args: unknown[]) => void;
}

export interface NobleInstance extends EventEmitter {
  readonly state: string;
  address: string;
  _bindings: NobleHciBindings;
  _peripherals: Record<string, unknown>;
  _services: Record<string, unknown>;
  _characteristics: Record<string, unknown>;
  _descriptors: Record<string, unknown>;
  _discoveredPeripheralUUids: Record<string, unknown>;
  startScanning(serviceUuids: string[], allowDuplicates: boolean, callback?: (err?: Error | null) => void): void;
  stopScanning(callback?: () => void): void;
}

/** A device-poll loop the caller can stop: `stop()` clears the pending timer. */
export interface DevicePoll {
  stop(): void;
}

/**
 * Replaces `hci.pollIsDevUp` (which re-arms an anonymous 1 s setTimeout forever, keeping
 * the process alive) with the same steps on a timer we keep. `library` picks noble's or
 * bleno's power-up sequence; both are copied from their hci.js.
 */
export function takeOverDevicePoll(hci: HciInternals, library: 'noble' | 'bleno', intervalMs = 1000): DevicePoll {
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
