/**
 * The Advertiser port on @abandonware/bleno over an HCI socket (the kernel's, guarded, or
 * a virtual controller's), and the same advertiser as a GATT peripheral hosting services
 * (createBlenoPeripheral). bleno is a process-wide singleton, so each advertiser loads a
 * fresh copy of it from an emptied module cache.
 */
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import { WaymarkError } from '../../core/errors.js';
import { TypedEmitter } from '../../core/events.js';
import type { Advertiser, AdvertiserEvents, RadioState } from '../../core/ports.js';
import { type GuardedHciSocket } from './hci/guard.js';
import { evictLibrary, guardedSocketClass, installHciSocket, socketChoiceName, type HciSocketChoice } from './hci/socket.js';
import {
  assertSupportedVersion,
  blenoConnectionHandle,
  blenoHciSocket,
  blenoValueHandle,
  captureProcessListeners,
  setBlenoAdvertiseEnable,
  setBlenoAdvertisingParameters,
  takeOverBlenoDevicePoll,
  type DevicePoll,
  whenPoweredOn,
} from './ble-compat.js';

export interface BlenoAdvertiserOptions {
  /** HCI device number; default BLENO_HCI_DEVICE_ID, else the first device that is up. */
  deviceId?: number;
  /** 'native' (default): the kernel's HCI socket; or another socket class of its API. */
  socket?: HciSocketChoice;
  powerOnTimeoutMs?: number;
  devicePollMs?: number;
  /** GAP Device Name (0x2A00) the GATT server shows a connected central; default 'Waymark' (bleno would show the hostname). */
  deviceName?: string;
}

/** bleno's Characteristic as its GATT server uses it (lib/characteristic.js). */
export interface BlenoCharacteristic extends EventEmitter {
  uuid: string;
  properties: string[];
}

/** The options bleno's Characteristic constructor takes. */
export interface BlenoCharacteristicOptions {
  uuid: string;
  properties: ('read' | 'write' | 'writeWithoutResponse' | 'notify' | 'indicate')[];
  value?: Buffer | null;
  descriptors?: unknown[];
  onWriteRequest?: (data: Buffer, offset: number, withoutResponse: boolean, callback: (result: number) => void) => void;
  onReadRequest?: (offset: number, callback: (result: number, data?: Buffer) => void) => void;
  onSubscribe?: (maxValueSize: number, updateValueCallback: (data: Buffer) => void) => void;
  onUnsubscribe?: () => void;
}

/** The GATT classes of one peripheral's own copy of bleno. */
export interface BlenoGattClasses {
  PrimaryService: new (options: { uuid: string; characteristics: BlenoCharacteristic[] }) => object;
  Characteristic: (new (options: BlenoCharacteristicOptions) => BlenoCharacteristic) & {
    RESULT_SUCCESS: number;
    RESULT_INVALID_OFFSET: number;
    RESULT_INVALID_ATTRIBUTE_LENGTH: number;
    RESULT_UNLIKELY_ERROR: number;
  };
}

export type CentralEvents = {
  /** A central connected (bleno serves one at a time). */
  accept: (address: string) => void;
  disconnect: (address: string) => void;
  /** The central negotiated an ATT_MTU. */
  mtu: (mtu: number) => void;
};

/** The Advertiser port plus bleno's GATT server: services, the connected central, its link RSSI. */
export interface BlenoPeripheral extends Advertiser {
  readonly gattClasses: BlenoGattClasses;
  /** Connection events of the one central bleno serves. */
  readonly centrals: TypedEmitter<CentralEvents>;
  /** The connected central's address, or null. */
  readonly central: string | null;
  /** ATT_MTU of the current connection (23 until the central exchanges a larger one). */
  readonly mtu: number;
  /** Replaces the GATT services (bleno adds GAP 0x1800 and GATT 0x1801 in front). */
  setServices(services: object[]): Promise<void>;
  /** One HCI Read RSSI on the central's connection, dBm; rejects when there is none or the controller refuses. */
  readRssi(timeoutMs?: number): Promise<number>;
  /** Ends the central's connection (HCI Disconnect, reason 0x13). */
  disconnectCentral(): void;
  /** The ATT handle of a characteristic's value in bleno's attribute table. */
  valueHandle(characteristicUuid: string): number | undefined;
}

/** bleno's public API as used here; its internals are reached through ble-compat.ts. */
interface BlenoInstance extends EventEmitter, BlenoGattClasses {
  state: string;
  startAdvertisingWithEIRData(adv: Buffer, scan: Buffer, callback?: (err?: Error | null) => void): void;
  stopAdvertising(callback?: () => void): void;
  setServices(services: object[], callback?: (err?: Error | null) => void): void;
  updateRssi(): void;
  disconnect(): void;
}

const READ_RSSI_OPCODE = 0x1405;

class CentralEventBus extends TypedEmitter<CentralEvents> {
  fire<K extends keyof CentralEvents & string>(event: K, ...args: Parameters<CentralEvents[K]>): void {
    this.emit(event, ...args);
  }
}

const here = createRequire(import.meta.url);

/** Runs `fn` with an environment variable set, then puts the old value back (bleno reads its options from env). */
function withEnv<T>(name: string, value: string | undefined, fn: () => T): T {
  const old = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    return fn();
  } finally {
    if (old === undefined) delete process.env[name];
    else process.env[name] = old;
  }
}

export function createBlenoAdvertiser(opts: BlenoAdvertiserOptions = {}): Advertiser {
  return new BlenoHciAdvertiser(opts);
}

/**
 * An advertiser that also hosts GATT services. While a central is connected the
 * controller does not advertise (connectable advertising ends when a connection is made);
 * new advertising data set meanwhile goes out when the central leaves.
 */
export function createBlenoPeripheral(opts: BlenoAdvertiserOptions = {}): BlenoPeripheral {
  return new BlenoHciAdvertiser(opts);
}

class BlenoHciAdvertiser extends TypedEmitter<AdvertiserEvents> implements BlenoPeripheral {
  readonly name: string;
  readonly centrals = new CentralEventBus();
  readonly #bleno: BlenoInstance;
  readonly #socket: GuardedHciSocket;
  readonly #poll: DevicePoll;
  readonly #removeProcessListeners: () => void;
  readonly #powerOnTimeoutMs: number;
  readonly #deviceName: string;
  #advertisement: Buffer = Buffer.alloc(0);
  #scanResponse: Buffer = Buffer.alloc(0);
  #advertising = false;
  #closed = false;
  #central: string | null = null;
  #mtu = 23;
  /** Advertising data changed while a central was connected: restart advertising with it when the central leaves. */
  #restartWhenFree = false;
  #rssiWaiters: { handle: number; resolve: (rssi: number) => void; reject: (err: Error) => void }[] = [];

  constructor(opts: BlenoAdvertiserOptions) {
    super();
    const kind = opts.socket ?? 'native';
    this.#powerOnTimeoutMs = opts.powerOnTimeoutMs ?? 10_000;
    this.#deviceName = opts.deviceName ?? 'Waymark';
    assertSupportedVersion('bleno');
    process.env.NOBLE_MULTI_ROLE ??= '1';
    let bleno: BlenoInstance;
    try {
      installHciSocket(guardedSocketClass(kind), ['bleno']);
      evictLibrary('bleno'); // a fresh singleton for this advertiser
      bleno = here('@abandonware/bleno') as BlenoInstance;
      evictLibrary('bleno');
    } catch (err) {
      throw unavailable(socketChoiceName(kind), opts.deviceId, err);
    }
    this.#bleno = bleno;
    this.#socket = blenoHciSocket(bleno) as GuardedHciSocket;
    this.#poll = takeOverBlenoDevicePoll(bleno, opts.devicePollMs ?? 1000);
    try {
      // adding the first stateChange listener makes bleno bind and initialise synchronously
      this.#removeProcessListeners = captureProcessListeners(() =>
        withEnv('BLENO_HCI_DEVICE_ID', opts.deviceId === undefined ? process.env.BLENO_HCI_DEVICE_ID : String(opts.deviceId),
          () => bleno.on('stateChange', this.#onStateChange)));
    } catch (err) {
      this.#poll.stop();
      throw unavailable(socketChoiceName(kind), opts.deviceId, err);
    }
    const devId = this.#socket.boundDevId ?? opts.deviceId ?? 0;
    this.name = kind === 'native' ? `bleno/hci-socket(hci${devId})` : `bleno/hci-socket(${socketChoiceName(kind)} hci${devId})`;
    bleno.on('accept', this.#onAccept);
    bleno.on('disconnect', this.#onDisconnect);
    bleno.on('mtuChange', this.#onMtu);
    this.#socket.on('data', this.#onSocketData);
  }

  get gattClasses(): BlenoGattClasses {
    return { PrimaryService: this.#bleno.PrimaryService, Characteristic: this.#bleno.Characteristic };
  }

  get central(): string | null {
    return this.#central;
  }

  get mtu(): number {
    return this.#mtu;
  }

  setServices(services: object[]): Promise<void> {
    if (this.#closed) return Promise.reject(new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name} is closed`));
    return new Promise((resolve, reject) => {
      withEnv('BLENO_DEVICE_NAME', this.#deviceName, () => this.#bleno.setServices(services, (err) => {
        if (err) reject(new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name}: ${err.message}`, { cause: err }));
        else resolve();
      }));
    });
  }

  readRssi(timeoutMs = 1000): Promise<number> {
    const handle = blenoConnectionHandle(this.#bleno);
    if (this.#closed || this.#central === null || handle === null) {
      return Promise.reject(new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name}: no central connected`));
    }
    return new Promise<number>((resolve, reject) => {
      const waiter = {
        handle,
        resolve: (rssi: number) => {
          clearTimeout(timer);
          resolve(rssi);
        },
        reject: (err: Error) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.#rssiWaiters = this.#rssiWaiters.filter((w) => w !== waiter);
        reject(new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name}: Read RSSI not answered in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#rssiWaiters.push(waiter);
      this.#bleno.updateRssi(); // bleno writes HCI Read RSSI for its connection handle
    });
  }

  disconnectCentral(): void {
    if (this.#central !== null && !this.#closed) this.#bleno.disconnect();
  }

  valueHandle(characteristicUuid: string): number | undefined {
    return blenoValueHandle(this.#bleno, characteristicUuid.replace(/-/g, '').toLowerCase());
  }

  #onAccept = (address: string): void => {
    this.#central = address;
    this.#mtu = 23;
    this.centrals.fire('accept', address);
  };

  #onDisconnect = (address: string): void => {
    this.#central = null;
    for (const w of this.#rssiWaiters.splice(0)) w.reject(new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name}: central disconnected`));
    this.centrals.fire('disconnect', address);
    if (this.#restartWhenFree && this.#advertising && !this.#closed) {
      this.#restartWhenFree = false;
      // after bleno's own restart (it re-enables advertising right after this event), or
      // its 'restarting' state would swallow the advertisingStart this waits for
      setImmediate(() => {
        if (this.#advertising && !this.#closed && this.#central === null) this.#startAdvertising().catch((err: Error) => this.#emitError(err));
      });
    }
  };

  #onMtu = (mtu: number): void => {
    this.#mtu = mtu;
    this.centrals.fire('mtu', mtu);
  };

  /**
   * bleno reports Read RSSI without its status (a refused read looks like 0 dBm), so the
   * Command Complete is read here: 04 0e 07 01 05 14 status handle(2) rssi.
   */
  #onSocketData = (packet: Buffer): void => {
    if (packet.length < 10 || packet[0] !== 0x04 || packet[1] !== 0x0e || (packet[4] | (packet[5] << 8)) !== READ_RSSI_OPCODE) return;
    const handle = packet[7] | (packet[8] << 8);
    const i = this.#rssiWaiters.findIndex((w) => w.handle === handle);
    if (i < 0) return;
    const [waiter] = this.#rssiWaiters.splice(i, 1);
    const status = packet[6];
    if (status !== 0) waiter.reject(new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name}: Read RSSI failed, HCI status 0x${status.toString(16)}`));
    else waiter.resolve(packet.readInt8(9));
  };

  #emitError(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  async setData(advertisement: Uint8Array, scanResponse: Uint8Array = new Uint8Array(0)): Promise<void> {
    if (advertisement.length > 31) throw new RangeError(`advertisement must be at most 31 bytes, got ${advertisement.length}`);
    if (scanResponse.length > 31) throw new RangeError(`scanResponse must be at most 31 bytes, got ${scanResponse.length}`);
    this.#advertisement = Buffer.from(advertisement);
    this.#scanResponse = Buffer.from(scanResponse);
    if (this.#advertising && this.#central !== null) this.#restartWhenFree = true;
    else if (this.#advertising) await this.#startAdvertising();
  }

  async start(intervalMs: number): Promise<void> {
    if (this.#closed) throw new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name} is closed`);
    if (!(intervalMs >= 20 && intervalMs <= 10_240)) throw new RangeError(`intervalMs must be 20..10240, got ${intervalMs}`);
    await this.#whenPoweredOn();
    // bleno takes the interval only from BLENO_ADVERTISING_INTERVAL when it sets the parameters
    setBlenoAdvertiseEnable(this.#bleno, false);
    withEnv('BLENO_ADVERTISING_INTERVAL', String(intervalMs), () => setBlenoAdvertisingParameters(this.#bleno));
    await this.#startAdvertising();
    this.#advertising = true;
  }

  async stop(): Promise<void> {
    if (!this.#advertising || this.#closed) return;
    this.#advertising = false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      this.#bleno.stopAdvertising(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#poll.stop();
    if (this.#central !== null) this.#bleno.disconnect();
    if (this.#advertising) setBlenoAdvertiseEnable(this.#bleno, false);
    this.#advertising = false;
    this.#closed = true;
    for (const w of this.#rssiWaiters.splice(0)) w.reject(new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name} is closed`));
    this.#bleno.off('stateChange', this.#onStateChange);
    this.#bleno.off('accept', this.#onAccept);
    this.#bleno.off('disconnect', this.#onDisconnect);
    this.#bleno.off('mtuChange', this.#onMtu);
    this.#socket.off('data', this.#onSocketData);
    this.centrals.removeAllListeners();
    this.#removeProcessListeners();
    this.#socket.stop();
    (this.#socket.inner as { close?: () => void }).close?.();
  }

  /** bleno answers a bad payload with `advertisingStartError` and never calls the callback, so both are awaited. */
  #startAdvertising(): Promise<void> {
    const bleno = this.#bleno;
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => {
        clearTimeout(timer);
        bleno.off('advertisingStartError', done);
        bleno.off('advertisingStart', done);
        if (err) reject(new WaymarkError('WAYMARK_ERR_AD_MALFORMED', `${this.name}: ${err.message}`, { cause: err }));
        else resolve();
      };
      const timer = setTimeout(
        () => done(new Error('advertising did not start')),
        this.#powerOnTimeoutMs,
      );
      bleno.on('advertisingStartError', done);
      bleno.on('advertisingStart', done);
      bleno.startAdvertisingWithEIRData(this.#advertisement, this.#scanResponse);
    });
  }

  #onStateChange = (state: string): void => {
    const mapped: RadioState = state === 'poweredOn' || state === 'poweredOff' || state === 'unsupported' || state === 'resetting'
      ? state : state === 'unauthorized' ? 'unsupported' : 'unknown';
    this.emit('state', mapped);
  };

  #whenPoweredOn(): Promise<void> {
    return whenPoweredOn(this.#bleno, this.#powerOnTimeoutMs, () => new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name}: adapter did not power on`));
  }
}

function unavailable(kind: string, deviceId: number | undefined, err: unknown): WaymarkError {
  const e = err as NodeJS.ErrnoException;
  return new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${kind} HCI socket${deviceId === undefined ? '' : ` hci${deviceId}`}: ${e?.message ?? String(err)}`, {
    cause: err,
    details: { socket: kind, deviceId, errno: e?.code },
  });
}
