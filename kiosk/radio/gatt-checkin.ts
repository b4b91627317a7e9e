/**
 * The BLE tap check-in service on the kiosk's bleno peripheral: a phone writes its 32-byte
 * visitor commitment, the kiosk reads the link's RSSI a few times, low-pass filters it,
 * asks the TapCheckinHandler, and notifies the answer in MTU-sized chunks (tap-frames.ts).
 */
import { isWaymarkError, type ErrorCode } from '../../core/errors.js';
import { TypedEmitter } from '../../core/events.js';
import type { TapCheckinHandler } from '../../core/ports.js';
import { BEACON_GATT_SERVICE_UUID, BEACON_GATT_FRAME_CHARACTERISTIC_UUID } from '../../beacon/advertising.js';
import { emaFilter } from '../sightings/rssi-filter.js';
import type { BlenoCharacteristic, BlenoPeripheral } from './bleno-advertiser.js';
import { encodeTapResponse, type TapMessage } from './tap-frames.js';

/** The check-in service and its characteristics ("WAYM" = 0x5741594d); docs/PROTOCOL.md "BLE tap check-in". */
export const CHECKIN_SERVICE_UUID = '5741594d-0100-4c8e-9a2b-1f3e5d7c9b00';
/** Write (with response): the 32-byte visitor commitment. */
export const COMMITMENT_CHARACTERISTIC_UUID = '5741594d-0101-4c8e-9a2b-1f3e5d7c9b00';
/** Notify: the response message in chunks. */
export const RESPONSE_CHARACTERISTIC_UUID = '5741594d-0102-4c8e-9a2b-1f3e5d7c9b00';

export const VISITOR_COMMITMENT_LENGTH = 32;

/** ATT error codes the service answers a write with (Core spec Vol 3 Part F 3.4.1.1, Part G 1.2 / CSS Part B 1.2). */
export const CheckinAttError = {
  INVALID_ATTRIBUTE_VALUE_LENGTH: 0x0d,
  UNLIKELY_ERROR: 0x0e,
  /** A tap is already being answered on this connection. */
  INSUFFICIENT_RESOURCES: 0x11,
  /** The phone wrote before subscribing to the response characteristic. */
  CCCD_IMPROPERLY_CONFIGURED: 0xfd,
} as const;

export interface GattCheckinOptions {
  handler: TapCheckinHandler;
  /** HCI Read RSSI readings per tap (default 5), spread evenly over `rssiWindowMs` (default 400). */
  rssiSamples?: number;
  rssiWindowMs?: number;
  /** Time constant of the EMA over the readings, seconds (default 0.25). */
  rssiTimeConstantS?: number;
  /** How long the handler may take before the phone gets WAYMARK_ERR_INTERNAL (default 5000 ms). */
  handlerTimeoutMs?: number;
  /** A connected phone that has not written a commitment after this long is disconnected (default 15000 ms). */
  idleTimeoutMs?: number;
  /** After an answer, how long the phone may stay connected before the kiosk disconnects it (default 2000 ms). */
  lingerMs?: number;
  /** The signed beacon frame on air now: served read-only as the beacon service's frame characteristic. */
  beaconFrame?: () => Uint8Array | undefined;
}

export interface GattCheckinStats {
  connections: number;
  /** Well-formed commitments written. */
  requests: number;
  /** Writes that were not 32 bytes (answered ATT 0x0D + WAYMARK_ERR_CHECKIN_TAP_MALFORMED). */
  malformed: number;
  /** Writes before subscribing (ATT 0xFD) or during another tap (ATT 0x11). */
  refusedWrites: number;
  /** Taps answered with the handler's bytes, and with an error code. */
  answered: number;
  refused: number;
  /** Taps whose phone left before the whole answer was sent. */
  aborted: number;
  /** Notifications sent. */
  chunks: number;
  /** Phones disconnected by the kiosk for idling. */
  idleDisconnects: number;
}

export interface TapOutcome {
  peer: string;
  /** Filtered RSSI, or null when the phone left before it was measured. */
  rssiDbm: number | null;
  /** The raw readings. */
  samples: number[];
  /** 'answered', 'refused' (with `code`) or 'aborted'. */
  result: 'answered' | 'refused' | 'aborted';
  code?: string;
}

export type GattCheckinEvents = {
  tap: (outcome: TapOutcome) => void;
};

export interface GattCheckinService extends TypedEmitter<GattCheckinEvents> {
  stats(): GattCheckinStats;
  /** Stops answering; the peripheral's GATT table is emptied. */
  close(): Promise<void>;
}

/** A scan-response AD structure (18 bytes) listing the check-in service, for phones that look for it. */
export function checkinServiceAd(): Uint8Array {
  const uuid = Uint8Array.from(Buffer.from(CHECKIN_SERVICE_UUID.replace(/-/g, ''), 'hex')).reverse();
  return Uint8Array.from([17, 0x07, ...uuid]); // Complete List of 128-bit Service UUIDs, little-endian
}

interface Session {
  peer: string;
  alive: boolean;
  busy: boolean;
  notify: ((data: Buffer) => void) | null;
}

/** Registers the check-in service as the peripheral's only GATT service and starts answering taps. */
export async function startGattCheckin(peripheral: BlenoPeripheral, opts: GattCheckinOptions): Promise<GattCheckinService> {
  const service = new GattCheckin(peripheral, opts);
  await peripheral.setServices([service.primaryService, ...(service.beaconService ? [service.beaconService] : [])]);
  return service;
}

class GattCheckinEmitter extends TypedEmitter<GattCheckinEvents> {
  protected fire(outcome: TapOutcome): void {
    if (this.listenerCount('tap') > 0) this.emit('tap', outcome);
  }
}

class GattCheckin extends GattCheckinEmitter implements GattCheckinService {
  readonly primaryService: object;
  /** The beacon frame service (BEACON_GATT_SERVICE_UUID), when a frame source was given. */
  readonly beaconService: object | undefined;
  readonly #peripheral: BlenoPeripheral;
  readonly #handler: TapCheckinHandler;
  readonly #samples: number;
  readonly #windowMs: number;
  readonly #tauS: number;
  readonly #handlerTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #lingerMs: number;
  readonly #result: number;
  readonly #stats: GattCheckinStats = {
    connections: 0, requests: 0, malformed: 0, refusedWrites: 0, answered: 0, refused: 0, aborted: 0, chunks: 0, idleDisconnects: 0,
  };
  /** Pending waits between RSSI readings; close() ends them early. */
  readonly #sleeps = new Map<NodeJS.Timeout, () => void>();
  #session: Session | null = null;
  #idleTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(peripheral: BlenoPeripheral, opts: GattCheckinOptions) {
    super();
    this.#peripheral = peripheral;
    this.#handler = opts.handler;
    this.#samples = opts.rssiSamples ?? 5;
    this.#windowMs = opts.rssiWindowMs ?? 400;
    this.#tauS = opts.rssiTimeConstantS ?? 0.25;
    this.#handlerTimeoutMs = opts.handlerTimeoutMs ?? 5000;
    this.#idleTimeoutMs = opts.idleTimeoutMs ?? 15_000;
    this.#lingerMs = opts.lingerMs ?? 2000;
    if (!Number.isInteger(this.#samples) || this.#samples < 1) throw new RangeError(`rssiSamples must be an integer >= 1, got ${this.#samples}`);
    if (!(this.#windowMs >= 0)) throw new RangeError(`rssiWindowMs must be >= 0, got ${this.#windowMs}`);
    emaFilter(this.#tauS); // validates the time constant

    const { PrimaryService, Characteristic } = peripheral.gattClasses;
    this.#result = Characteristic.RESULT_SUCCESS;
    const commitment: BlenoCharacteristic = new Characteristic({
      uuid: COMMITMENT_CHARACTERISTIC_UUID,
      properties: ['write'],
      onWriteRequest: (data, offset, withoutResponse, callback) => this.#onWrite(data, offset, callback),
    });
    const response: BlenoCharacteristic = new Characteristic({
      uuid: RESPONSE_CHARACTERISTIC_UUID,
      properties: ['notify'],
      onSubscribe: (_maxValueSize, update) => {
        if (this.#session) this.#session.notify = update;
      },
      onUnsubscribe: () => {
        if (this.#session) this.#session.notify = null;
      },
    });
    this.primaryService = new PrimaryService({ uuid: CHECKIN_SERVICE_UUID, characteristics: [commitment, response] });
    const beaconFrame = opts.beaconFrame;
    this.beaconService = beaconFrame && new PrimaryService({
      uuid: BEACON_GATT_SERVICE_UUID,
      characteristics: [new Characteristic({
        uuid: BEACON_GATT_FRAME_CHARACTERISTIC_UUID.replace(/-/g, ''),
        properties: ['read'],
        onReadRequest: (offset: number, callback: (result: number, data?: Buffer) => void) => {
          const frame = beaconFrame();
          // 0x0E: unlikely error (no frame yet: the clock is not synced)
          if (!frame) return callback(0x0e);
          if (offset > frame.length) return callback(0x07); // invalid offset
          callback(this.#result, Buffer.from(frame.subarray(offset)));
        },
      })],
    });
    peripheral.centrals.on('accept', this.#onAccept);
    peripheral.centrals.on('disconnect', this.#onDisconnect);
  }

  stats(): GattCheckinStats {
    return { ...this.#stats };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#peripheral.centrals.off('accept', this.#onAccept);
    this.#peripheral.centrals.off('disconnect', this.#onDisconnect);
    this.#clearIdle();
    for (const [t, wake] of this.#sleeps) {
      clearTimeout(t);
      wake();
    }
    this.#sleeps.clear();
    if (this.#session) this.#session.alive = false;
    this.#session = null;
    await this.#peripheral.setServices([]).catch(() => undefined);
  }

  // ---- connection ---------------------------------------------------------------------

  #onAccept = (peer: string): void => {
    if (this.#session) this.#session.alive = false;
    this.#session = { peer, alive: true, busy: false, notify: null };
    this.#stats.connections++;
    this.#armIdle(this.#idleTimeoutMs);
  };

  #onDisconnect = (): void => {
    if (this.#session) this.#session.alive = false;
    this.#session = null;
    this.#clearIdle();
  };

  #armIdle(ms: number): void {
    this.#clearIdle();
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (this.#session?.busy || this.#closed) return;
      this.#stats.idleDisconnects++;
      this.#peripheral.disconnectCentral();
    }, ms);
    this.#idleTimer.unref();
  }

  #clearIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  // ---- one tap ------------------------------------------------------------------------

  #onWrite(data: Buffer, offset: number, callback: (result: number) => void): void {
    const session = this.#session;
    if (!session || this.#closed) {
      callback(CheckinAttError.UNLIKELY_ERROR);
      return;
    }
    if (session.busy) {
      this.#stats.refusedWrites++;
      callback(CheckinAttError.INSUFFICIENT_RESOURCES);
      return;
    }
    if (!session.notify) {
      this.#stats.refusedWrites++;
      callback(CheckinAttError.CCCD_IMPROPERLY_CONFIGURED);
      return;
    }
    if (offset !== 0 || data.length !== VISITOR_COMMITMENT_LENGTH) {
      this.#stats.malformed++;
      // the code goes out first so the phone has it when the ATT error ends its write
      this.#sendNow(session, { ok: false, code: 'WAYMARK_ERR_CHECKIN_TAP_MALFORMED' });
      callback(CheckinAttError.INVALID_ATTRIBUTE_VALUE_LENGTH);
      return;
    }
    this.#stats.requests++;
    session.busy = true;
    this.#clearIdle();
    callback(this.#result);
    void this.#answer(session, new Uint8Array(data));
  }

  async #answer(session: Session, visitor: Uint8Array): Promise<void> {
    const samples: number[] = [];
    let rssiDbm: number | null = null;
    let message: TapMessage;
    try {
      rssiDbm = await this.#measure(session, samples);
      message = await this.#ask(visitor, rssiDbm, session.peer);
    } catch (err) {
      message = { ok: false, code: isWaymarkError(err) ? err.code : 'WAYMARK_ERR_INTERNAL' };
    }
    const sent = session.alive && !this.#closed && (await this.#sendPaced(session, message));
    session.busy = false;
    const outcome: TapOutcome = { peer: session.peer, rssiDbm, samples, result: sent ? (message.ok ? 'answered' : 'refused') : 'aborted' };
    if (!message.ok) outcome.code = message.code;
    this.#stats[outcome.result]++;
    if (session.alive && !this.#closed) this.#armIdle(this.#lingerMs);
    this.fire(outcome);
  }

  /** Reads the link RSSI `rssiSamples` times over `rssiWindowMs` and returns the EMA. */
  async #measure(session: Session, samples: number[]): Promise<number> {
    const filter = emaFilter(this.#tauS);
    const gap = this.#samples > 1 ? this.#windowMs / (this.#samples - 1) : 0;
    let state = null;
    for (let i = 0; i < this.#samples; i++) {
      if (i > 0) await this.#sleep(gap);
      if (!session.alive || this.#closed) throw new Error('central left');
      const rssi = await this.#peripheral.readRssi();
      samples.push(rssi);
      const now = Date.now();
      if (state === null) state = filter.init(rssi, now);
      else filter.update(state, rssi, now);
    }
    return state!.value;
  }

  async #ask(visitor: Uint8Array, rssiDbm: number, peer: string): Promise<TapMessage> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`handler took over ${this.#handlerTimeoutMs} ms`)), this.#handlerTimeoutMs);
    });
    try {
      const body = await Promise.race([this.#handler({ visitor, rssiDbm, peer }), timeout]);
      if (!(body instanceof Uint8Array)) return { ok: false, code: 'WAYMARK_ERR_INTERNAL' satisfies ErrorCode };
      return { ok: true, body };
    } finally {
      clearTimeout(timer);
    }
  }

  /** All chunks in one go (short error answers). */
  #sendNow(session: Session, message: TapMessage): void {
    for (const chunk of encodeTapResponse(message, this.#peripheral.mtu - 3)) {
      session.notify!(Buffer.from(chunk));
      this.#stats.chunks++;
    }
  }

  /**
   * One chunk per event-loop turn, checking before each that the phone is still there:
   * bleno would queue a notification for a closed connection handle and stall its ACL queue.
   */
  async #sendPaced(session: Session, message: TapMessage): Promise<boolean> {
    const chunks = encodeTapResponse(message, this.#peripheral.mtu - 3);
    for (let i = 0; i < chunks.length; i++) {
      if (i > 0) await new Promise((r) => setImmediate(r));
      if (!session.alive || !session.notify || this.#closed) return false;
      session.notify(Buffer.from(chunks[i]));
      this.#stats.chunks++;
    }
    return true;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#sleeps.delete(t);
        resolve();
      }, ms);
      this.#sleeps.set(t, resolve);
    });
  }
}
