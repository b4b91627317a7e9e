/**
 * The host end of the serial link to the radio co-processor: opens the port, does the HELLO
 * handshake, pairs requests with replies, sends heartbeats and emits the device's events typed.
 * Failures escalate as one `fatalError` (then the port is closed) instead of throwing everywhere.
 */
import { SerialPortStream } from '@serialport/stream';
import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import { TypedEmitter } from '../core/events.js';
import { isWaymarkError, WaymarkError } from '../core/errors.js';
import {
  Capability,
  COMMANDS,
  decodeDeviceError,
  decodeEvent,
  decodeResponse,
  deviceErrorName,
  encodeRequest,
  eventName,
  type CommandName,
  type EventOf,
  type RequestOf,
  type ResponseOf,
} from './protocol/commands.js';
import { FrameType, PROTOCOL_VERSION, type Frame } from './protocol/frame.js';
import { FrameParser, type FrameParserStats } from './protocol/parser.js';
import { ReplyWaiter } from './protocol/waiter.js';
import { FrameWriter, SequenceCounter } from './protocol/writer.js';

export interface SerialLinkOptions {
  path: string;
  /** The serialport binding: bindings-cpp on a Pi, MockBinding (or a firmware-wired one) in tests. */
  binding: BindingInterface;
  /** Default 1 000 000 (the boards' USB CDC ignores it; a real UART does not). */
  baudRate?: number;
  /** Heartbeat PING period; 0 disables. Default 1000 ms. */
  heartbeatIntervalMs?: number;
  /** Consecutive unanswered heartbeats that mean the board is gone. Default 3. */
  heartbeatMisses?: number;
  /** HELLO attempts before giving up (the board may still be booting). Default 3. */
  handshakeAttempts?: number;
  /** Per-command timeout overrides, ms; defaults are in COMMANDS. */
  timeouts?: Partial<Record<CommandName, number>>;
}

/** What the co-processor said it can do, from the HELLO response. */
export interface LinkCapabilities {
  protocolVersion: number;
  firmwareVersion: string;
  extendedAdvertising: boolean;
  nfc: boolean;
  activeScan: boolean;
  codedPhy: boolean;
  maxAdvDataLength: number;
  maxPayloadLength: number;
}

export type SerialLinkEvents = {
  advReport: (report: EventOf<'ADV_REPORT'>) => void;
  nfcTap: (tap: EventOf<'NFC_TAP'>) => void;
  /** The board (re)started; after an unexpected one its scan/advertising state is gone. */
  boot: (boot: EventOf<'BOOT'>) => void;
  /** An unsolicited DEVICE_ERROR event, as WAYMARK_ERR_DEVICE_ERROR. */
  deviceError: (err: WaymarkError) => void;
  /** A frame or payload that was dropped (counted; the link carries on). */
  frameError: (err: WaymarkError) => void;
  /** The link is unusable (unplugged, no heartbeat, port error); it has been closed. */
  fatalError: (err: WaymarkError) => void;
  close: () => void;
};

export interface SerialLinkStats {
  parser: FrameParserStats;
  framesOut: number;
  requests: number;
  timeouts: number;
  deviceErrors: number;
  events: number;
  /** Replies nobody waited for (late after a timeout, or a wrong command id). */
  unmatched: number;
  heartbeatMisses: number;
}

export class SerialLink extends TypedEmitter<SerialLinkEvents> {
  readonly #options: Required<Omit<SerialLinkOptions, 'timeouts'>> & { timeouts: Partial<Record<CommandName, number>> };
  readonly #parser: FrameParser;
  readonly #waiter = new ReplyWaiter<Frame>();
  readonly #seq = new SequenceCounter();
  #port: SerialPortStream | undefined;
  #writer: FrameWriter | undefined;
  #capabilities: LinkCapabilities | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #heartbeatInFlight = false;
  #missed = 0;
  #closed = false;
  #stats = { requests: 0, deviceErrors: 0, events: 0, unmatched: 0, heartbeatMisses: 0 };

  constructor(options: SerialLinkOptions) {
    super();
    this.#options = {
      baudRate: 1_000_000,
      heartbeatIntervalMs: 1000,
      heartbeatMisses: 3,
      handshakeAttempts: 3,
      ...options,
      timeouts: options.timeouts ?? {},
    };
    this.#parser = new FrameParser({ onReject: (err) => this.emit('frameError', err) });
  }

  get capabilities(): LinkCapabilities | undefined {
    return this.#capabilities;
  }

  get isOpen(): boolean {
    return this.#port?.isOpen === true && !this.#closed;
  }

  /** Open the port, handshake, start heartbeats. Rejects with RADIO_UNAVAILABLE or SERIAL_HANDSHAKE. */
  async open(): Promise<LinkCapabilities> {
    const { path, baudRate, binding } = this.#options;
    const port = new SerialPortStream({ binding, path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) =>
      port.open((err) =>
        err ? reject(new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `cannot open serial port ${path}: ${err.message}`, { cause: err, details: { path } })) : resolve(),
      ),
    );
    this.#port = port;
    this.#closed = false;
    this.#writer = new FrameWriter(port);
    this.#parser.reset();
    port.on('data', (chunk: Buffer) => this.#onData(chunk));
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      if (err) this.#fatal(new WaymarkError('WAYMARK_ERR_SERIAL_DISCONNECTED', `${path}: ${err.message}`, { cause: err, details: { path } }));
      else this.#shutdown();
    });
    port.on('error', (err: Error) => this.#fatal(new WaymarkError('WAYMARK_ERR_SERIAL_DISCONNECTED', `${path}: ${err.message}`, { cause: err, details: { path } })));
    try {
      this.#capabilities = await this.#handshake();
    } catch (err) {
      await this.close();
      throw err;
    }
    this.#startHeartbeat();
    return this.#capabilities;
  }

  /** Send a command and wait for its reply; rejects with SERIAL_TIMEOUT, DEVICE_ERROR or SERIAL_DISCONNECTED. */
  async request<N extends CommandName>(name: N, params: RequestOf<N>, options: { timeoutMs?: number } = {}): Promise<ResponseOf<N>> {
    if (!this.#writer || this.#closed) {
      throw new WaymarkError('WAYMARK_ERR_SERIAL_DISCONNECTED', `link is not open (${name})`, { details: { command: name } });
    }
    const payload = encodeRequest(name, params);
    const seq = this.#seq.next();
    const timeoutMs = options.timeoutMs ?? this.#options.timeouts[name] ?? COMMANDS[name].timeoutMs;
    const reply = this.#waiter.wait(seq, name, timeoutMs);
    this.#stats.requests++;
    try {
      this.#writer.write({ version: PROTOCOL_VERSION, type: FrameType.REQUEST, seq, id: COMMANDS[name].id, payload });
    } catch (err) {
      // e.g. a payload over the frame limit: fail now rather than leave a wait to time out
      this.#waiter.reject(seq, err);
    }
    const frame = await reply;
    return decodeResponse(name, frame.payload);
  }

  /** Stop heartbeats, fail pending requests, close the port. Safe to call twice. */
  async close(): Promise<void> {
    const port = this.#port;
    this.#shutdown();
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  stats(): SerialLinkStats {
    return { parser: this.#parser.stats(), framesOut: this.#writer?.stats().frames ?? 0, timeouts: this.#waiter.timeouts, ...this.#stats };
  }

  async #handshake(): Promise<LinkCapabilities> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.#options.handshakeAttempts; attempt++) {
      try {
        const hello = await this.request('HELLO', { minVersion: PROTOCOL_VERSION, maxVersion: PROTOCOL_VERSION });
        if (hello.protocolVersion !== PROTOCOL_VERSION) {
          throw new WaymarkError('WAYMARK_ERR_SERIAL_HANDSHAKE', `firmware chose protocol version ${hello.protocolVersion}, kiosk speaks ${PROTOCOL_VERSION}`, {
            details: { protocolVersion: hello.protocolVersion },
          });
        }
        return {
          protocolVersion: hello.protocolVersion,
          firmwareVersion: `${hello.firmwareMajor}.${hello.firmwareMinor}.${hello.firmwarePatch}`,
          extendedAdvertising: (hello.capabilities & Capability.EXTENDED_ADVERTISING) !== 0,
          nfc: (hello.capabilities & Capability.NFC) !== 0,
          activeScan: (hello.capabilities & Capability.ACTIVE_SCAN) !== 0,
          codedPhy: (hello.capabilities & Capability.CODED_PHY) !== 0,
          maxAdvDataLength: hello.maxAdvDataLength,
          maxPayloadLength: hello.maxPayloadLength,
        };
      } catch (err) {
        lastError = err;
        // only silence is worth retrying; a refusal or a wrong version will not change
        if (!isWaymarkError(err, 'WAYMARK_ERR_SERIAL_TIMEOUT')) break;
      }
    }
    if (isWaymarkError(lastError, 'WAYMARK_ERR_SERIAL_HANDSHAKE')) throw lastError;
    const why = lastError instanceof Error ? lastError.message : String(lastError);
    throw new WaymarkError('WAYMARK_ERR_SERIAL_HANDSHAKE', `${this.#options.path}: ${why}`, { cause: lastError, details: { path: this.#options.path } });
  }

  #startHeartbeat(): void {
    const every = this.#options.heartbeatIntervalMs;
    if (every <= 0) return;
    this.#heartbeat = setInterval(() => {
      if (this.#heartbeatInFlight || this.#closed) return;
      this.#heartbeatInFlight = true;
      this.request('PING', {}, { timeoutMs: Math.min(every, this.#options.timeouts.PING ?? COMMANDS.PING.timeoutMs) }).then(
        () => {
          this.#heartbeatInFlight = false;
          this.#missed = 0;
        },
        (err: unknown) => {
          this.#heartbeatInFlight = false;
          if (!isWaymarkError(err, 'WAYMARK_ERR_SERIAL_TIMEOUT')) return;
          this.#stats.heartbeatMisses++;
          if (++this.#missed >= this.#options.heartbeatMisses) {
            this.#fatal(new WaymarkError('WAYMARK_ERR_SERIAL_DISCONNECTED', `${this.#options.path}: ${this.#missed} heartbeats unanswered`, {
              details: { path: this.#options.path, missed: this.#missed },
            }));
          }
        },
      );
    }, every);
  }

  #onData(chunk: Buffer): void {
    for (const frame of this.#parser.push(chunk)) {
      try {
        this.#dispatch(frame);
      } catch (err) {
        // a payload that does not decode is dropped like a bad frame
        if (isWaymarkError(err)) this.emit('frameError', err);
        else this.emit('frameError', new WaymarkError('WAYMARK_ERR_INTERNAL', String(err), { cause: err }));
      }
    }
  }

  #dispatch(frame: Frame): void {
    switch (frame.type) {
      case FrameType.RESPONSE:
      case FrameType.ERROR: {
        const label = this.#waiter.labelOf(frame.seq) as CommandName | undefined;
        if (!label || COMMANDS[label].id !== frame.id) {
          this.#stats.unmatched++;
          return;
        }
        if (frame.type === FrameType.RESPONSE) this.#waiter.resolve(frame.seq, frame);
        else {
          this.#stats.deviceErrors++;
          this.#waiter.reject(frame.seq, deviceError(decodeDeviceError(frame.payload), label));
        }
        return;
      }
      case FrameType.EVENT: {
        const name = eventName(frame.id);
        if (!name) return void this.#stats.unmatched++;
        this.#stats.events++;
        switch (name) {
          case 'ADV_REPORT':
            return void this.emit('advReport', decodeEvent('ADV_REPORT', frame.payload));
          case 'NFC_TAP':
            return void this.emit('nfcTap', decodeEvent('NFC_TAP', frame.payload));
          case 'BOOT':
            return void this.emit('boot', decodeEvent('BOOT', frame.payload));
          case 'DEVICE_ERROR':
            return void this.emit('deviceError', deviceError(decodeEvent('DEVICE_ERROR', frame.payload)));
        }
        return;
      }
      default:
        this.#stats.unmatched++;
    }
  }

  #fatal(err: WaymarkError): void {
    if (this.#closed) return;
    this.#shutdown(err);
    this.emit('fatalError', err);
    const port = this.#port;
    if (port?.isOpen) port.close(() => undefined);
  }

  #shutdown(err?: WaymarkError): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    this.#waiter.rejectAll(err ?? new WaymarkError('WAYMARK_ERR_SERIAL_DISCONNECTED', `${this.#options.path}: link closed`));
    this.emit('close');
  }
}

function deviceError(payload: { code: number; message: string }, command?: CommandName): WaymarkError {
  const name = deviceErrorName(payload.code) ?? 'UNKNOWN';
  const hex = `0x${payload.code.toString(16).padStart(4, '0')}`;
  return new WaymarkError('WAYMARK_ERR_DEVICE_ERROR', `${command ? `${command}: ` : ''}${name} (${hex}) ${payload.message}`, {
    details: { deviceCode: payload.code, deviceError: name, ...(command ? { command } : {}), deviceMessage: payload.message },
  });
}
