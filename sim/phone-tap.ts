/**
 * The phone's side of a BLE tap check-in, on @abandonware/noble as a central on its own
 * HCI controller (a virtual one in demo and tests): find the kiosk's check-in service,
 * connect, subscribe, write the visitor commitment, reassemble the answer, disconnect.
 */
import type { EventEmitter } from 'node:events';
import { WaymarkError } from '../core/errors.js';
import { type GuardedHciSocket } from '../kiosk/radio/hci/guard.js';
import { openNoble } from '../kiosk/radio/noble-instance.js';
import { socketChoiceName, type HciSocketChoice } from '../kiosk/radio/hci/socket.js';
import {
  CHECKIN_SERVICE_UUID,
  COMMITMENT_CHARACTERISTIC_UUID,
  RESPONSE_CHARACTERISTIC_UUID,
} from '../kiosk/radio/gatt-checkin.js';
import {
  disconnectNobleLinks,
  nobleConnectionHandle,
  type DevicePoll,
  type NobleInstance,
  type NoblePeripheral,
  type NobleWarning,
  whenPoweredOn,
} from '../kiosk/radio/ble-compat.js';
import { TapResponseAssembler, type TapMessage } from '../kiosk/radio/tap-frames.js';

export interface PhoneTapClientOptions {
  /** HCI device number of the phone's controller. */
  deviceId?: number;
  socket?: HciSocketChoice;
  powerOnTimeoutMs?: number;
  devicePollMs?: number;
}

export interface TapOptions {
  /** Connect to this kiosk address (`aa:bb:..`); default: the first connectable advertiser listing the check-in service. */
  kioskAddress?: string;
  /** Limit for the whole tap, from scanning to the last chunk (default 10 s). */
  timeoutMs?: number;
  /** Disconnect after this many response chunks, as a phone pulled away mid-answer (tests). */
  disconnectAfterChunks?: number;
}

export type PhoneTapResult =
  | { ok: true; response: Uint8Array; kiosk: string; chunks: number; mtu: number }
  /** The kiosk answered with an error code; `attError` is the ATT error its write got, if any. */
  | { ok: false; code: string; kiosk: string; attError?: number };

export interface PhoneTapClient {
  readonly name: string;
  readonly noble: NobleInstance;
  /**
   * One tap. Resolves with the kiosk's answer (its bytes or its error code); rejects with
   * WAYMARK_ERR_CHECKIN_TAP_FAILED when the exchange itself fails (`details.reason`).
   */
  tap(visitor: Uint8Array, opts?: TapOptions): Promise<PhoneTapResult>;
  close(): Promise<void>;
}

interface NobleCharacteristic extends EventEmitter {
  uuid: string;
  write(data: Buffer, withoutResponse: boolean, callback?: (err: Error | null) => void): void;
  subscribe(callback?: (err: Error | null) => void): void;
}

interface ConnectablePeripheral extends NoblePeripheral, EventEmitter {
  id: string;
  state: string;
  mtu: number | null;
  connect(callback?: (err?: Error | null) => void): void;
  cancelConnect(): void;
  disconnect(callback?: () => void): void;
  discoverSomeServicesAndCharacteristics(
    services: string[],
    characteristics: string[],
    callback: (err: unknown, services: unknown[] | null, characteristics: NobleCharacteristic[] | null) => void,
  ): void;
}


/** noble names 128-bit UUIDs without dashes, lower case. */
const bare = (uuid: string) => uuid.replace(/-/g, '').toLowerCase();
const ATT_CID = 0x0004;
const ATT_ERROR_RSP = 0x01;
const ATT_WRITE_REQ = 0x12;
const ATT_WRITE_RSP = 0x13;

function failed(reason: string, detail: string, cause?: unknown): WaymarkError {
  return new WaymarkError('WAYMARK_ERR_CHECKIN_TAP_FAILED', detail, { details: { reason }, cause });
}

export function createPhoneTapClient(opts: PhoneTapClientOptions = {}): PhoneTapClient {
  return new NoblePhoneTap(opts);
}

class NoblePhoneTap implements PhoneTapClient {
  readonly name: string;
  readonly noble: NobleInstance;
  readonly #socket: GuardedHciSocket;
  readonly #poll: DevicePoll;
  readonly #removeProcessListeners: () => void;
  readonly #powerOnTimeoutMs: number;
  #busy = false;
  #closed = false;

  constructor(opts: PhoneTapClientOptions) {
    const kind = opts.socket ?? 'native';
    this.#powerOnTimeoutMs = opts.powerOnTimeoutMs ?? 10_000;
    const opened = openNoble({ kind, deviceId: opts.deviceId, devicePollMs: opts.devicePollMs, onWarning: this.#onWarning });
    this.noble = opened.noble;
    this.#socket = opened.socket;
    this.#poll = opened.poll;
    this.#removeProcessListeners = opened.removeProcessListeners;
    const devId = opened.devId;
    this.name = kind === 'native' ? `phone-tap/noble(hci${devId})` : `phone-tap/noble(${socketChoiceName(kind)} hci${devId})`;
  }

  async tap(visitor: Uint8Array, opts: TapOptions = {}): Promise<PhoneTapResult> {
    if (this.#closed) throw new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name} is closed`);
    if (this.#busy) throw new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name}: a tap is already running`);
    if (!(visitor instanceof Uint8Array)) throw new TypeError('visitor must be a Uint8Array');
    this.#busy = true;
    const exchange = new TapExchange(this.noble, this.#socket, opts.timeoutMs ?? 10_000);
    try {
      await exchange.race(this.#whenPoweredOn(), 'timeout', 'adapter did not power on');
      return await exchange.run(visitor, opts);
    } finally {
      exchange.dispose();
      this.#busy = false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#poll.stop();
    disconnectNobleLinks(this.noble);
    try {
      if (this.noble.state === 'poweredOn') this.noble.stopScanning();
    } catch {
      // the adapter may be gone
    }
    this.#removeProcessListeners();
    this.#socket.stop();
    (this.#socket.inner as { close?: () => void }).close?.();
  }

  #whenPoweredOn(): Promise<void> {
    return whenPoweredOn(this.noble, this.#powerOnTimeoutMs, () => new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name}: adapter did not power on`));
  }

  /** The phone's controller is its own, so nothing is foreign here; anything else is worth a line. */
  #onWarning = (warning: NobleWarning): void => {
    if (warning.kind === 'genuine' && !this.#closed) process.emitWarning(`${this.name}: ${warning.message}`, 'NobleWarning');
  };
}

/** One tap's state and cleanups, under one deadline. */
class TapExchange {
  readonly #noble: NobleInstance;
  readonly #socket: GuardedHciSocket;
  readonly #deadline: Promise<never>;
  readonly #timer: NodeJS.Timeout;
  readonly #cleanups: (() => void)[] = [];
  #expire!: (err: Error) => void;

  constructor(noble: NobleInstance, socket: GuardedHciSocket, timeoutMs: number) {
    this.#noble = noble;
    this.#socket = socket;
    this.#deadline = new Promise<never>((_, reject) => (this.#expire = reject));
    this.#deadline.catch(() => undefined);
    this.#timer = setTimeout(() => this.#expire(failed('timeout', `no answer within ${timeoutMs} ms`)), timeoutMs);
  }

  /** Waits for `p`, or fails with the deadline (reason `timeout`) or with `reason` if `p` rejects. */
  async race<T>(p: Promise<T>, reason: string, what: string): Promise<T> {
    try {
      return await Promise.race([p, this.#deadline]);
    } catch (err) {
      if (err instanceof WaymarkError) throw err;
      throw failed(reason, `${what}: ${(err as Error)?.message ?? String(err)}`, err);
    }
  }

  dispose(): void {
    clearTimeout(this.#timer);
    for (const fn of this.#cleanups.splice(0).reverse()) {
      try {
        fn();
      } catch {
        // cleanup is best effort
      }
    }
  }

  async run(visitor: Uint8Array, opts: TapOptions): Promise<PhoneTapResult> {
    const kiosk = await this.race(this.#find(opts.kioskAddress), 'not-found', 'scanning');
    await this.race(this.#connect(kiosk), 'connect', 'connecting');
    const characteristics = await this.race(this.#discover(kiosk), 'gatt', 'discovering the check-in service');
    const commitment = characteristics.find((c) => c.uuid === bare(COMMITMENT_CHARACTERISTIC_UUID));
    const response = characteristics.find((c) => c.uuid === bare(RESPONSE_CHARACTERISTIC_UUID));
    if (!commitment || !response) throw failed('gatt', 'the kiosk has no check-in characteristics');

    const assembler = new TapResponseAssembler();
    const answer = this.#collect(kiosk, response, assembler, opts.disconnectAfterChunks);
    answer.catch(() => undefined); // awaited below; a disconnect before that must not go unhandled
    await this.race(new Promise<void>((resolve, reject) => response.subscribe((err) => (err ? reject(err) : resolve()))), 'gatt', 'subscribing');
    // watched from here on, after the subscription's own Write Response went by
    const writeOutcome = this.#watchWrite(kiosk);
    // a Write Request (not a command): the kiosk answers it with Write Response or an ATT error
    commitment.write(Buffer.from(visitor), false);
    const [message, attError] = await this.race(Promise.all([answer, writeOutcome]), 'disconnected', 'waiting for the answer');
    await this.race(new Promise<void>((resolve) => kiosk.disconnect(() => resolve())), 'disconnected', 'disconnecting').catch(() => undefined);
    if (message.ok) return { ok: true, response: message.body, kiosk: kiosk.address, chunks: assembler.chunks, mtu: kiosk.mtu ?? 23 };
    const result: PhoneTapResult = { ok: false, code: message.code, kiosk: kiosk.address };
    if (attError !== null) result.attError = attError;
    return result;
  }

  #find(address: string | undefined): Promise<ConnectablePeripheral> {
    const noble = this.#noble;
    const wanted = bare(CHECKIN_SERVICE_UUID);
    return new Promise((resolve, reject) => {
      let found = false;
      const onDiscover = (p: ConnectablePeripheral) => {
        if (!p.connectable) return;
        const match = address !== undefined
          ? p.address.toLowerCase() === address.toLowerCase()
          : (p.advertisement?.serviceUuids ?? []).includes(wanted);
        if (!match) return;
        found = true;
        noble.off('discover', onDiscover);
        noble.stopScanning(() => resolve(p));
      };
      noble.on('discover', onDiscover);
      this.#cleanups.push(() => {
        noble.off('discover', onDiscover);
        if (!found && noble.state === 'poweredOn') noble.stopScanning();
      });
      noble.startScanning([], true, (err) => {
        if (err) reject(err);
      });
    });
  }

  #connect(kiosk: ConnectablePeripheral): Promise<void> {
    this.#cleanups.push(() => {
      if (kiosk.state === 'connecting') kiosk.cancelConnect();
      else if (kiosk.state === 'connected') kiosk.disconnect();
    });
    return new Promise((resolve, reject) => kiosk.connect((err) => (err ? reject(err) : resolve())));
  }

  #discover(kiosk: ConnectablePeripheral): Promise<NobleCharacteristic[]> {
    return new Promise((resolve, reject) => {
      kiosk.discoverSomeServicesAndCharacteristics(
        [bare(CHECKIN_SERVICE_UUID)],
        [bare(COMMITMENT_CHARACTERISTIC_UUID), bare(RESPONSE_CHARACTERISTIC_UUID)],
        (err, _services, characteristics) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(characteristics ?? [])),
      );
    });
  }

  /** Reassembles notifications until the message is complete; fails if the kiosk disconnects first. */
  #collect(kiosk: ConnectablePeripheral, response: NobleCharacteristic, assembler: TapResponseAssembler, stopAfter?: number): Promise<TapMessage> {
    return new Promise((resolve, reject) => {
      const onData = (data: Buffer) => {
        let message: TapMessage | null;
        try {
          message = assembler.push(new Uint8Array(data));
        } catch (err) {
          reject(err);
          return;
        }
        if (message) resolve(message);
        else if (stopAfter !== undefined && assembler.chunks >= stopAfter) {
          kiosk.disconnect();
          reject(failed('disconnected', `left after ${assembler.chunks} chunks`));
        }
      };
      const onDisconnect = () => reject(failed('disconnected', `the link dropped after ${assembler.chunks} chunks`));
      response.on('data', onData);
      kiosk.once('disconnect', onDisconnect);
      this.#cleanups.push(() => {
        response.off('data', onData);
        kiosk.off('disconnect', onDisconnect);
      });
    });
  }

  /**
   * noble drops an ATT Error Response to a write without telling anyone, so the phone's
   * own socket is read: the first Write Response (null) or Error Response to a Write
   * Request (its error code) on this connection after the write.
   */
  #watchWrite(kiosk: ConnectablePeripheral): Promise<number | null> {
    const handle = () => nobleConnectionHandle(this.#noble, kiosk.uuid);
    return new Promise((resolve) => {
      const onData = (p: Buffer) => {
        // 02 handle|flags(2) length(2) l2cap_length(2) cid(2) att...
        if (p.length < 10 || p[0] !== 0x02 || ((p[2] >> 4) & 0x3) !== 0x2) return;
        if (((p[1] | (p[2] << 8)) & 0x0fff) !== handle() || (p[7] | (p[8] << 8)) !== ATT_CID) return;
        const op = p[9];
        if (op === ATT_WRITE_RSP) resolve(null);
        else if (op === ATT_ERROR_RSP && p.length >= 14 && p[10] === ATT_WRITE_REQ) resolve(p[13]);
      };
      this.#socket.on('data', onData);
      this.#cleanups.push(() => this.#socket.off('data', onData));
    });
  }
}
