/**
 * The Advertiser port on @abandonware/bleno over an HCI socket (the kernel's, guarded, or
 * a virtual controller's). bleno is a process-wide singleton, so each advertiser loads a
 * fresh copy of it from an emptied module cache.
 */
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import { WaymarkError } from '../../core/errors.js';
import { TypedEmitter } from '../../core/events.js';
import type { Advertiser, AdvertiserEvents, RadioState } from '../../core/ports.js';
import { guardHciSocket, type GuardedHciSocket, type GuardedHciSocketClass } from '../../firmware-bridge/sim/hci-guard.js';
import { VirtualHciSocket } from '../../firmware-bridge/sim/hci-socket.js';
import { evictLibrary, installHciSocket, loadNativeHciSocket } from '../../firmware-bridge/sim/inject.js';
import { captureProcessListeners, takeOverDevicePoll, type DevicePoll, type HciInternals } from './noble-internals.js';

export interface BlenoAdvertiserOptions {
  /** HCI device number; default BLENO_HCI_DEVICE_ID, else the first device that is up. */
  deviceId?: number;
  socket?: 'native' | 'virtual';
  powerOnTimeoutMs?: number;
  devicePollMs?: number;
}

interface BlenoInstance extends EventEmitter {
  state: string;
  _bindings: EventEmitter & { _hci: HciInternals };
  startAdvertisingWithEIRData(adv: Buffer, scan: Buffer, callback?: (err?: Error | null) => void): void;
  stopAdvertising(callback?: () => void): void;
}

const here = createRequire(import.meta.url);
let guardedVirtual: GuardedHciSocketClass | null = null;
let guardedNative: GuardedHciSocketClass | null = null;

function socketClass(kind: 'native' | 'virtual'): GuardedHciSocketClass {
  if (kind === 'virtual') return (guardedVirtual ??= guardHciSocket(VirtualHciSocket));
  return (guardedNative ??= guardHciSocket(loadNativeHciSocket()));
}

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

class BlenoHciAdvertiser extends TypedEmitter<AdvertiserEvents> implements Advertiser {
  readonly name: string;
  readonly #bleno: BlenoInstance;
  readonly #socket: GuardedHciSocket;
  readonly #poll: DevicePoll;
  readonly #removeProcessListeners: () => void;
  readonly #powerOnTimeoutMs: number;
  #advertisement: Buffer = Buffer.alloc(0);
  #scanResponse: Buffer = Buffer.alloc(0);
  #advertising = false;
  #closed = false;

  constructor(opts: BlenoAdvertiserOptions) {
    super();
    const kind = opts.socket ?? 'native';
    this.#powerOnTimeoutMs = opts.powerOnTimeoutMs ?? 10_000;
    process.env.NOBLE_MULTI_ROLE ??= '1';
    let bleno: BlenoInstance;
    try {
      installHciSocket(socketClass(kind), ['bleno']);
      evictLibrary('bleno'); // a fresh singleton for this advertiser
      bleno = here('@abandonware/bleno') as BlenoInstance;
      evictLibrary('bleno');
    } catch (err) {
      throw unavailable(kind, opts.deviceId, err);
    }
    this.#bleno = bleno;
    const hci = bleno._bindings._hci;
    this.#socket = hci._socket as GuardedHciSocket;
    this.#poll = takeOverDevicePoll(hci, 'bleno', opts.devicePollMs ?? 1000);
    try {
      // adding the first stateChange listener makes bleno bind and initialise synchronously
      this.#removeProcessListeners = captureProcessListeners(() =>
        withEnv('BLENO_HCI_DEVICE_ID', opts.deviceId === undefined ? process.env.BLENO_HCI_DEVICE_ID : String(opts.deviceId),
          () => bleno.on('stateChange', this.#onStateChange)));
    } catch (err) {
      this.#poll.stop();
      throw unavailable(kind, opts.deviceId, err);
    }
    const devId = this.#socket.boundDevId ?? opts.deviceId ?? 0;
    this.name = kind === 'virtual' ? `bleno/hci-socket(virtual hci${devId})` : `bleno/hci-socket(hci${devId})`;
  }

  async setData(advertisement: Uint8Array, scanResponse: Uint8Array = new Uint8Array(0)): Promise<void> {
    if (advertisement.length > 31) throw new RangeError(`advertisement must be at most 31 bytes, got ${advertisement.length}`);
    if (scanResponse.length > 31) throw new RangeError(`scanResponse must be at most 31 bytes, got ${scanResponse.length}`);
    this.#advertisement = Buffer.from(advertisement);
    this.#scanResponse = Buffer.from(scanResponse);
    if (this.#advertising) await this.#startAdvertising();
  }

  async start(intervalMs: number): Promise<void> {
    if (this.#closed) throw new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name} is closed`);
    if (!(intervalMs >= 20 && intervalMs <= 10_240)) throw new RangeError(`intervalMs must be 20..10240, got ${intervalMs}`);
    await this.#whenPoweredOn();
    const hci = this.#bleno._bindings._hci;
    // bleno takes the interval only from BLENO_ADVERTISING_INTERVAL when it sets the parameters
    hci.setAdvertiseEnable?.(false);
    withEnv('BLENO_ADVERTISING_INTERVAL', String(intervalMs), () => hci.setAdvertisingParameters?.());
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
    if (this.#advertising) this.#bleno._bindings._hci.setAdvertiseEnable?.(false);
    this.#advertising = false;
    this.#closed = true;
    this.#bleno.off('stateChange', this.#onStateChange);
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
    if (this.#bleno.state === 'poweredOn') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onState = (state: string) => {
        if (state !== 'poweredOn') return;
        clearTimeout(timer);
        this.#bleno.off('stateChange', onState);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#bleno.off('stateChange', onState);
        reject(new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name}: adapter did not power on`));
      }, this.#powerOnTimeoutMs);
      this.#bleno.on('stateChange', onState);
    });
  }
}

function unavailable(kind: string, deviceId: number | undefined, err: unknown): WaymarkError {
  const e = err as NodeJS.ErrnoException;
  return new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${kind} HCI socket${deviceId === undefined ? '' : ` hci${deviceId}`}: ${e?.message ?? String(err)}`, {
    cause: err,
    details: { socket: kind, deviceId, errno: e?.code },
  });
}
