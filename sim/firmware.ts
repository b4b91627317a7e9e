/**
 * A simulated nRF52/ESP32 co-processor serving the serial-link protocol on the far side of a
 * port: it answers HELLO and the commands, and turns AirPackets it hears and NFC taps into events.
 * `firmwareBinding` wires it behind @serialport/binding-mock so the real SerialLink can open it.
 */
import { MockBinding, type BindingInterface, type MockPortBinding, type OpenOptions } from './mock-binding.js';
import {
  AdvMode,
  Capability,
  commandName,
  decodeRequest,
  DEVICE_ERRORS,
  encodeDeviceError,
  encodeEvent,
  encodeResponse,
  EVENTS,
  LEGACY_ADV_DATA_MAX,
  ReportKind,
  ResetReason,
  TapKind,
  type CommandName,
  type DeviceErrorName,
  type EventName,
  type EventOf,
  type RequestOf,
  type ResponseOf,
} from '../firmware-bridge/protocol/commands.js';
import { FrameType, MAX_PAYLOAD_LENGTH, PROTOCOL_VERSION, type Frame } from '../firmware-bridge/protocol/frame.js';
import { FrameParser } from '../firmware-bridge/protocol/parser.js';
import { FrameWriter } from '../firmware-bridge/protocol/writer.js';
import type { AirPacket } from './air.js';

export interface SimulatedFirmwareOptions {
  firmwareVersion?: readonly [number, number, number];
  /** Protocol versions this firmware accepts in HELLO. */
  minVersion?: number;
  maxVersion?: number;
  capabilities?: number;
  maxAdvDataLength?: number;
  board?: string;
  address?: Uint8Array;
  /** Milliseconds, for uptime. */
  now?: () => number;
  /** Taps kept for redelivery until acknowledged (with Capability.TAP_ACK). Default 32. */
  tapQueueLength?: number;
}

/** Capabilities of the current protocol with every feature (the default leaves TAP_ACK out, as firmware 1.0 did). */
export const FULL_SIM_CAPABILITIES = Capability.EXTENDED_ADVERTISING | Capability.NFC | Capability.ACTIVE_SCAN | Capability.TAP_ACK;

let bootCounter = (Math.random() * 0x7fffffff) >>> 0;
/** A boot id: differs from boot to boot (a real board takes it from its RNG), never 0. */
function nextBootId(): number {
  bootCounter = (bootCounter + 0x9e3779b1) >>> 0;
  return bootCounter || 1;
}

class DeviceFailure extends Error {
  constructor(readonly deviceError: DeviceErrorName, message: string) {
    super(message);
  }
}

export class SimulatedFirmware {
  readonly options: Required<SimulatedFirmwareOptions>;
  readonly #parser = new FrameParser();
  #writer: FrameWriter | undefined;
  #bootedAt: number;
  #eventSeq = 0;
  #handshaken = false;
  /** When true the firmware hears frames but answers nothing (a hung board, for timeout tests). */
  silent = false;
  /** Commands received, in order, for assertions. */
  readonly received: { name: CommandName | 'unknown'; seq: number; payload: Uint8Array }[] = [];
  scan: RequestOf<'SCAN_START'> | undefined;
  advertising: RequestOf<'ADV_START'> | undefined;
  advData: RequestOf<'ADV_SET_DATA'> | undefined;
  nfcPolling: RequestOf<'NFC_POLL'> | undefined;
  readonly #seenWhileScanning = new Set<string>();
  #bootId = nextBootId();
  #tapSeq = 0;
  /** Taps sent but not acknowledged (TAP_ACK), oldest first. */
  readonly #unackedTaps: EventOf<'NFC_TAP'>[] = [];
  /** Taps that fell off the full queue unacknowledged. */
  tapsOverflowed = 0;

  constructor(options: SimulatedFirmwareOptions = {}) {
    this.options = {
      firmwareVersion: options.firmwareVersion ?? [1, 0, 0],
      minVersion: options.minVersion ?? PROTOCOL_VERSION,
      maxVersion: options.maxVersion ?? PROTOCOL_VERSION,
      capabilities: options.capabilities ?? Capability.EXTENDED_ADVERTISING | Capability.NFC | Capability.ACTIVE_SCAN,
      maxAdvDataLength: options.maxAdvDataLength ?? 1650,
      board: options.board ?? 'waymark-sim',
      address: options.address ?? Uint8Array.of(0xc0, 0xff, 0xee, 0x00, 0x00, 0x01),
      now: options.now ?? Date.now,
      tapQueueLength: options.tapQueueLength ?? 32,
    };
    this.#bootedAt = this.options.now();
  }

  /** Where the firmware's bytes go (the host's side of the port). */
  connect(transmit: (bytes: Uint8Array) => void): void {
    this.#writer = new FrameWriter({ write: (chunk) => transmit(chunk) });
  }

  /** Bytes from the host. */
  receive(bytes: Uint8Array): void {
    for (const frame of this.#parser.push(bytes)) this.#handle(frame);
  }

  /** Power-on or reset: forget all state and announce it with a BOOT event. */
  boot(reason: number = ResetReason.POWER_ON): void {
    this.scan = undefined;
    this.advertising = undefined;
    this.advData = undefined;
    this.nfcPolling = undefined;
    this.#handshaken = false;
    this.#bootedAt = this.options.now();
    this.#seenWhileScanning.clear();
    this.#bootId = nextBootId();
    this.#tapSeq = 0;
    this.#unackedTaps.length = 0;
    this.#event('BOOT', { resetReason: reason, protocolVersion: PROTOCOL_VERSION });
  }

  /** The radio heard a packet: report it if scanning (once per address+data when filtering duplicates). */
  hear(packet: AirPacket): boolean {
    if (!this.scan || !this.#handshaken) return false;
    if (this.scan.filterDuplicates) {
      const key = `${Buffer.from(packet.address).toString('hex')}/${Buffer.from(packet.data).toString('hex')}`;
      if (this.#seenWhileScanning.has(key)) return false;
      this.#seenWhileScanning.add(key);
    }
    const extended = packet.data.length > LEGACY_ADV_DATA_MAX;
    this.#event('ADV_REPORT', {
      kind: extended ? ReportKind.EXTENDED : ReportKind.LEGACY,
      eventType: extended ? 0x0000 : packet.eventType,
      addressType: packet.addressType,
      address: packet.address,
      rssi: Math.max(-128, Math.min(127, Math.round(packet.rssi))),
      data: packet.data,
    });
    return true;
  }

  /** A tag or phone touched the reader: its UID, and for a phone the ISO-DEP answer to SELECT AID. */
  tap(uid: Uint8Array, isoDepResponse?: Uint8Array): boolean {
    if (!(this.options.capabilities & Capability.NFC) || !this.nfcPolling?.enabled) return false;
    const tap: EventOf<'NFC_TAP'> = { kind: isoDepResponse ? TapKind.ISO_DEP : TapKind.TAG_UID, uid, response: isoDepResponse ?? new Uint8Array(0) };
    if (this.options.capabilities & Capability.TAP_ACK) {
      // kept until acknowledged, so a tap while the cable is out is sent again after the next NFC_TAP_ACK
      this.#tapSeq = (this.#tapSeq + 1) >>> 0 || 1;
      Object.assign(tap, { bootId: this.#bootId, tapSeq: this.#tapSeq });
      this.#unackedTaps.push(tap);
      if (this.#unackedTaps.length > this.options.tapQueueLength) {
        this.#unackedTaps.shift();
        this.tapsOverflowed++;
      }
    }
    this.#event('NFC_TAP', tap);
    return true;
  }

  /** The boot id this firmware reports in NFC_TAP and NFC_TAP_ACK. */
  get bootId(): number {
    return this.#bootId;
  }

  /** Taps waiting for an acknowledgement. */
  get unacknowledgedTaps(): number {
    return this.#unackedTaps.length;
  }

  /** An unsolicited error, e.g. the controller dropped the scan. */
  fault(code: DeviceErrorName, message: string): void {
    this.#event('DEVICE_ERROR', { code: DEVICE_ERRORS[code], message });
  }

  #event<N extends EventName>(name: N, event: EventOf<N>): void {
    this.#send({ version: PROTOCOL_VERSION, type: FrameType.EVENT, seq: this.#eventSeq, id: EVENTS[name].id, payload: encodeEvent(name, event) });
    this.#eventSeq = (this.#eventSeq + 1) & 0xffff;
  }

  #send(frame: Frame): void {
    this.#writer?.write(frame);
  }

  #handle(frame: Frame): void {
    if (frame.type !== FrameType.REQUEST) return;
    const name = commandName(frame.id);
    this.received.push({ name: name ?? 'unknown', seq: frame.seq, payload: frame.payload });
    if (this.silent) return;
    const reply = (payload: Uint8Array) => this.#send({ version: PROTOCOL_VERSION, type: FrameType.RESPONSE, seq: frame.seq, id: frame.id, payload });
    const fail = (code: DeviceErrorName, message: string) =>
      this.#send({ version: PROTOCOL_VERSION, type: FrameType.ERROR, seq: frame.seq, id: frame.id, payload: encodeDeviceError({ code: DEVICE_ERRORS[code], message }) });
    if (!name || (name === 'NFC_TAP_ACK' && !(this.options.capabilities & Capability.TAP_ACK))) {
      return fail('UNKNOWN_COMMAND', `unknown command 0x${frame.id.toString(16).padStart(2, '0')}`);
    }
    if (frame.version !== PROTOCOL_VERSION) return fail('UNSUPPORTED_VERSION', `frame version ${frame.version}`);
    if (name !== 'HELLO' && !this.#handshaken) return fail('NOT_READY', 'send HELLO first');
    try {
      const response = this.#run(name, frame.payload);
      reply(response);
      if (name === 'RESET') setImmediate(() => this.boot(ResetReason.COMMAND));
      // after the reply: everything the host has not acknowledged, oldest first, with its original tapSeq
      if (name === 'NFC_TAP_ACK' && decodeRequest('NFC_TAP_ACK', frame.payload).resend) for (const tap of this.#unackedTaps) this.#event('NFC_TAP', tap);
    } catch (err) {
      if (err instanceof DeviceFailure) fail(err.deviceError, err.message);
      else if ((err as { code?: string }).code === 'WAYMARK_ERR_SERIAL_PAYLOAD') fail('BAD_PAYLOAD', (err as Error).message);
      else fail('INTERNAL', String(err));
    }
  }

  #run(name: CommandName, payload: Uint8Array): Uint8Array {
    const o = this.options;
    switch (name) {
      case 'HELLO': {
        const req = decodeRequest('HELLO', payload);
        const version = Math.min(req.maxVersion, o.maxVersion);
        if (version < req.minVersion || version < o.minVersion) {
          throw new DeviceFailure('UNSUPPORTED_VERSION', `host speaks ${req.minVersion}..${req.maxVersion}, firmware ${o.minVersion}..${o.maxVersion}`);
        }
        this.#handshaken = true;
        return encodeResponse('HELLO', {
          protocolVersion: version,
          firmwareMajor: o.firmwareVersion[0],
          firmwareMinor: o.firmwareVersion[1],
          firmwarePatch: o.firmwareVersion[2],
          capabilities: o.capabilities,
          maxAdvDataLength: o.capabilities & Capability.EXTENDED_ADVERTISING ? o.maxAdvDataLength : LEGACY_ADV_DATA_MAX,
          maxPayloadLength: MAX_PAYLOAD_LENGTH,
        });
      }
      case 'PING':
        return encodeResponse('PING', { uptimeMs: this.#uptime() });
      case 'DEVICE_INFO':
        return encodeResponse('DEVICE_INFO', { board: o.board, address: o.address, addressType: 1, uptimeMs: this.#uptime() });
      case 'RESET':
        return empty('RESET');
      case 'SCAN_START': {
        const req = decodeRequest('SCAN_START', payload);
        if (req.windowUnits > req.intervalUnits || req.intervalUnits < 4 || req.windowUnits < 4) {
          throw new DeviceFailure('BAD_PAYLOAD', `window ${req.windowUnits} must be 4..interval ${req.intervalUnits}`);
        }
        if (req.active && !(o.capabilities & Capability.ACTIVE_SCAN)) throw new DeviceFailure('NOT_SUPPORTED', 'active scanning');
        this.scan = req;
        this.#seenWhileScanning.clear();
        return empty('SCAN_START');
      }
      case 'SCAN_STOP':
        this.scan = undefined;
        return empty('SCAN_STOP');
      case 'ADV_SET_DATA': {
        const req = decodeRequest('ADV_SET_DATA', payload);
        if (req.mode === AdvMode.LEGACY) {
          if (req.advData.length > LEGACY_ADV_DATA_MAX || req.scanResponse.length > LEGACY_ADV_DATA_MAX) {
            throw new DeviceFailure('DATA_TOO_LONG', `legacy data ${req.advData.length}+${req.scanResponse.length}, limit 31+31`);
          }
        } else if (req.mode === AdvMode.EXTENDED) {
          if (!(o.capabilities & Capability.EXTENDED_ADVERTISING)) throw new DeviceFailure('NOT_SUPPORTED', 'extended advertising');
          if (req.advData.length + req.scanResponse.length > o.maxAdvDataLength) {
            throw new DeviceFailure('DATA_TOO_LONG', `extended data ${req.advData.length + req.scanResponse.length} > ${o.maxAdvDataLength}`);
          }
        } else throw new DeviceFailure('BAD_PAYLOAD', `mode ${req.mode}`);
        this.advData = req;
        return empty('ADV_SET_DATA');
      }
      case 'ADV_START': {
        const req = decodeRequest('ADV_START', payload);
        if (!this.advData) throw new DeviceFailure('INVALID_STATE', 'set advertising data first');
        if (req.intervalUnits < 0x20 || req.intervalUnits > 0x4000) throw new DeviceFailure('BAD_PAYLOAD', `interval ${req.intervalUnits} not in 0x20..0x4000`);
        this.advertising = req;
        return empty('ADV_START');
      }
      case 'ADV_STOP':
        this.advertising = undefined;
        return empty('ADV_STOP');
      case 'NFC_POLL': {
        const req = decodeRequest('NFC_POLL', payload);
        if (!(o.capabilities & Capability.NFC)) throw new DeviceFailure('NOT_SUPPORTED', 'no NFC reader');
        this.nfcPolling = req;
        return empty('NFC_POLL');
      }
      case 'NFC_TAP_ACK': {
        const req = decodeRequest('NFC_TAP_ACK', payload);
        if (req.bootId === this.#bootId) {
          while (this.#unackedTaps.length > 0 && this.#unackedTaps[0]!.tapSeq! <= req.tapSeq) this.#unackedTaps.shift();
        }
        return encodeResponse('NFC_TAP_ACK', { bootId: this.#bootId, lastTapSeq: this.#tapSeq });
      }
    }
  }

  #uptime(): number {
    return Math.max(0, Math.floor(this.options.now() - this.#bootedAt)) >>> 0;
  }
}

function empty<N extends CommandName>(name: N): Uint8Array {
  return encodeResponse(name, {} as ResponseOf<N>);
}

/** A binding (MockBinding underneath) whose ports are wired to a simulated firmware. */
export interface FirmwareBinding extends BindingInterface<MockPortBinding> {
  /** The port last opened through this binding (for `recording`). */
  readonly port: MockPortBinding | undefined;
  /** Pull the cable: the pending read fails as a real unplug does (not a cancel). */
  unplug(): void;
}

/**
 * Wrap MockBinding so that whatever the host writes reaches `firmware.receive`, and what the
 * firmware transmits arrives as port data. Create the port first: `MockBinding.createPort(path)`.
 */
export function firmwareBinding(firmware: SimulatedFirmware, base: typeof MockBinding = MockBinding): FirmwareBinding {
  let current: MockPortBinding | undefined;
  let failPendingRead: ((err: Error) => void) | undefined;
  return {
    get port() {
      return current;
    },
    list: () => base.list(),
    async open(options: OpenOptions): Promise<MockPortBinding> {
      const port = await base.open(options);
      current = port;
      const write = port.write.bind(port);
      const read = port.read.bind(port);
      port.write = async (buffer: Buffer) => {
        await write(buffer);
        firmware.receive(buffer);
      };
      port.read = (buffer: Buffer, offset: number, length: number) =>
        new Promise((resolve, reject) => {
          failPendingRead = reject;
          read(buffer, offset, length).then(resolve, reject);
        });
      firmware.connect((bytes) => {
        if (port.isOpen) port.emitData(Buffer.from(bytes));
      });
      return port;
    },
    unplug() {
      const fail = failPendingRead;
      failPendingRead = undefined;
      fail?.(Object.assign(new Error('device unplugged'), { code: 'ENXIO' }));
    },
  };
}
