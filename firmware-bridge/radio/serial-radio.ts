/**
 * The kiosk's radio on a co-processor: the Scanner and Advertiser ports (core/ports.ts) and NFC
 * taps over a SerialLink, surviving unplugs and board reboots by re-opening with backoff and
 * restoring what the kiosk asked for. `radio.adapter: "serial"` selects it.
 */
import { createRequire } from 'node:module';
import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import type { Clock } from '../../core/clock.js';
import { isWaymarkError, WaymarkError } from '../../core/errors.js';
import { TypedEmitter } from '../../core/events.js';
import type { Advertiser, AdvertiserEvents, RadioState, Scanner, ScannerEvents, ScannerStats } from '../../core/ports.js';
import type { BeaconEpoch } from '../../beacon/kiosk-beacon.js';
import { SerialLink, type LinkCapabilities, type SerialLinkOptions, type SerialLinkStats } from '../link.js';
import { AdvMode, LEGACY_ADV_DATA_MAX, msToUnits, TapKind, type EventOf, type RequestOf } from '../protocol/commands.js';
import { checkAdvReport, type ReportDropReason } from './adv-report.js';
import { TapLedger, type TapAck, type TapLedgerStats } from './tap-ledger.js';

export interface ReconnectBackoff {
  /** First wait after the link drops, ms. Default 100. */
  initialDelayMs?: number;
  /** Longest wait between attempts, ms. Default 2000 (a replug is noticed within ~2 s). */
  maxDelayMs?: number;
  /** Growth per failed attempt. Default 2. */
  factor?: number;
}

export interface ScanParameters {
  intervalMs: number;
  windowMs: number;
  /** Ask for scan responses (when the board can). */
  active: boolean;
  /** Off for a presence logger: every advertisement counts for RSSI and dwell. */
  filterDuplicates: boolean;
}

export interface SerialRadioOptions {
  /** The device, e.g. /dev/ttyACM0, or a pty link made by `waymark bridge simulate --link`. */
  path: string;
  /** Default: @serialport/bindings-cpp (loaded on first use). */
  binding?: BindingInterface;
  baudRate?: number;
  clock: Clock;
  reconnect?: ReconnectBackoff;
  scan?: Partial<ScanParameters>;
  /** Poll the NFC reader (when the board has one), SELECTing this AID on phones. Default: poll, SELECT WAYMARK_NFC_AID (NFC check-in). */
  nfc?: { enabled: boolean; aid?: Uint8Array };
  /** Heartbeat, handshake and timeout settings of each link. */
  link?: Omit<SerialLinkOptions, 'path' | 'binding' | 'baudRate'>;
}

/** The proprietary AID (0xF0 'Way') a Waymark phone app answers with its NFC check-in nonce (docs/PROTOCOL.md "NFC tap check-in"). */
export const WAYMARK_NFC_AID = Uint8Array.of(0xf0, 0x57, 0x61, 0x79);

/** An NFC touch, delivered once per tap. */
export interface SerialTap {
  kind: 'uid' | 'iso-dep';
  uid: Uint8Array;
  /** The phone's answer to SELECT AID (with SW1 SW2); empty for a tag. */
  response: Uint8Array;
  /** Kiosk clock, ms. */
  time: number;
  /** From firmware with tap acknowledgement: the board's boot and its number for the tap. */
  bootId?: number;
  tapSeq?: number;
}

export interface SerialRadioStats {
  connected: boolean;
  path: string;
  firmwareVersion: string | undefined;
  /** Successful re-opens after the link dropped. */
  reconnects: number;
  /** Attempts to re-open that failed. */
  reconnectFailures: number;
  /** Unexpected BOOTs on a live link (the board reset under us). */
  reboots: number;
  /** Frame-level counters summed over every link this radio opened. */
  crcErrors: number;
  resyncs: number;
  malformed: number;
  oversized: number;
  droppedBytes: number;
  timeouts: number;
  deviceErrors: number;
  heartbeatMisses: number;
  reports: number;
  dropped: Record<ReportDropReason, number>;
  taps: TapLedgerStats & { ackSupported: boolean };
}

/** The Advertiser port, plus what the board can do with it. */
export interface SerialAdvertiser extends Advertiser {
  /** True when the connected board has extended advertising (single-PDU beacon frames). */
  readonly extendedAdvertising: boolean;
  /** Advertise one beacon epoch: the single-PDU extended form when possible, else legacy page 0. */
  setBeacon(epoch: BeaconEpoch): Promise<void>;
}

/** A Prometheus gauge source; structurally kiosk/metrics.ts's MetricSource. */
export interface SerialRadioMetric {
  name: string;
  help: string;
  read(): number;
}

export type SerialRadioEvents = {
  tap: (tap: SerialTap) => void;
  /** The link dropped (`up` false) or came back (`up` true). */
  link: (up: boolean) => void;
  error: (err: Error) => void;
};

export interface SerialRadio {
  readonly name: string;
  readonly scanner: Scanner;
  readonly advertiser: SerialAdvertiser;
  readonly capabilities: LinkCapabilities | undefined;
  readonly connected: boolean;
  on<K extends keyof SerialRadioEvents & string>(event: K, listener: SerialRadioEvents[K]): void;
  off<K extends keyof SerialRadioEvents & string>(event: K, listener: SerialRadioEvents[K]): void;
  /** Listen for taps; returns a function that stops listening. */
  onTap(listener: (tap: SerialTap) => void): () => void;
  stats(): SerialRadioStats;
  metricSources(): SerialRadioMetric[];
  close(): Promise<void>;
}

const here = createRequire(import.meta.url);
let nativeBinding: BindingInterface | undefined;

/** The platform's serialport binding, loaded on first use so machines without it still start. */
export function loadNativeBinding(): BindingInterface {
  if (nativeBinding) return nativeBinding;
  try {
    const { autoDetect } = here('@serialport/bindings-cpp') as { autoDetect(): BindingInterface };
    nativeBinding = autoDetect();
    return nativeBinding;
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `serialport binding: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Opens the co-processor (rejects with RADIO_UNAVAILABLE or SERIAL_HANDSHAKE if the first
 * connection fails) and returns the radio; later drops are recovered by re-opening.
 */
export async function createSerialRadio(options: SerialRadioOptions): Promise<SerialRadio> {
  const radio = new SerialCoprocessorRadio(options);
  await radio.connectFirst();
  return radio;
}

interface DesiredAdvertising {
  data?: RequestOf<'ADV_SET_DATA'>;
  intervalUnits?: number;
}

const emptyDrops = (): Record<ReportDropReason, number> => ({ adMalformed: 0, rssiOutOfRange: 0, reportMalformed: 0 });

class SerialCoprocessorRadio extends TypedEmitter<SerialRadioEvents> implements SerialRadio {
  readonly name: string;
  readonly scanner: SerialScanner;
  readonly advertiser: SerialRadioAdvertiser;
  readonly #options: SerialRadioOptions;
  readonly #binding: BindingInterface;
  readonly #backoff: Required<ReconnectBackoff>;
  readonly #scanParams: ScanParameters;
  readonly #ledger = new TapLedger();
  #link: SerialLink | undefined;
  /** The link being opened and restored; its drops are handled by #connect's caller. */
  #opening: SerialLink | undefined;
  #capabilities: LinkCapabilities | undefined;
  #connected = false;
  #closed = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  /** Link operations run one at a time, in order: restore and the kiosk's commands never interleave. */
  #queue: Promise<unknown> = Promise.resolve();
  #wantScan = false;
  readonly #adv: DesiredAdvertising = {};
  #tapAck = false;
  /** Stats of links already closed, so counters survive reconnects. */
  #past: Omit<SerialLinkStats, 'parser'> & SerialLinkStats['parser'] = zeroLinkTotals();
  #counters = { reconnects: 0, reconnectFailures: 0, reboots: 0, reports: 0, restarts: 0 };
  readonly #dropped = emptyDrops();

  constructor(options: SerialRadioOptions) {
    super();
    this.#options = options;
    this.#binding = options.binding ?? loadNativeBinding();
    this.#backoff = { initialDelayMs: 100, maxDelayMs: 2000, factor: 2, ...options.reconnect };
    this.#scanParams = { intervalMs: 100, windowMs: 100, active: true, filterDuplicates: false, ...options.scan };
    this.name = `serial(${options.path})`;
    this.scanner = new SerialScanner(this);
    this.advertiser = new SerialRadioAdvertiser(this);
  }

  get capabilities(): LinkCapabilities | undefined {
    return this.#capabilities;
  }

  get connected(): boolean {
    return this.#connected;
  }

  get closed(): boolean {
    return this.#closed;
  }

  onTap(listener: (tap: SerialTap) => void): () => void {
    this.on('tap', listener);
    return () => this.off('tap', listener);
  }

  async connectFirst(): Promise<void> {
    await this.#connect();
  }

  // ---- what the ports ask for: remembered, and sent when the link is up ----------------

  async setScanning(on: boolean): Promise<void> {
    this.#wantScan = on;
    await this.#whenConnected(on ? (link) => this.#startScan(link) : (link) => link.request('SCAN_STOP', {}).then(() => undefined));
  }

  async setAdvertisingData(data: RequestOf<'ADV_SET_DATA'>): Promise<void> {
    this.#adv.data = data;
    await this.#whenConnected(async (link) => {
      await link.request('ADV_SET_DATA', data);
      if (this.#adv.intervalUnits !== undefined) await link.request('ADV_START', { intervalUnits: this.#adv.intervalUnits });
    });
  }

  async setAdvertising(intervalUnits: number | undefined): Promise<void> {
    this.#adv.intervalUnits = intervalUnits;
    await this.#whenConnected((link) =>
      intervalUnits === undefined ? link.request('ADV_STOP', {}).then(() => undefined) : link.request('ADV_START', { intervalUnits }).then(() => undefined),
    );
  }

  stats(): SerialRadioStats {
    const live = this.#link?.stats();
    const p = this.#past;
    return {
      connected: this.#connected,
      path: this.#options.path,
      firmwareVersion: this.#capabilities?.firmwareVersion,
      reconnects: this.#counters.reconnects,
      reconnectFailures: this.#counters.reconnectFailures,
      reboots: this.#counters.reboots,
      crcErrors: p.crcErrors + (live?.parser.crcErrors ?? 0),
      resyncs: p.resyncs + (live?.parser.resyncs ?? 0),
      malformed: p.malformed + (live?.parser.malformed ?? 0),
      oversized: p.oversized + (live?.parser.oversized ?? 0),
      droppedBytes: p.droppedBytes + (live?.parser.droppedBytes ?? 0),
      timeouts: p.timeouts + (live?.timeouts ?? 0),
      deviceErrors: p.deviceErrors + (live?.deviceErrors ?? 0),
      heartbeatMisses: p.heartbeatMisses + (live?.heartbeatMisses ?? 0),
      reports: this.#counters.reports,
      dropped: { ...this.#dropped },
      taps: { ...this.#ledger.stats(), ackSupported: this.#tapAck },
    };
  }

  scannerStats(): ScannerStats {
    const d = this.#dropped;
    return { reports: this.#counters.reports, dropped: d.adMalformed + d.rssiOutOfRange + d.reportMalformed, restarts: this.#counters.restarts, pruned: 0 };
  }

  metricSources(): SerialRadioMetric[] {
    const s = () => this.stats();
    return [
      { name: 'waymark_serial_connected', help: '1 while the co-processor link is up', read: () => (this.#connected ? 1 : 0) },
      { name: 'waymark_serial_reconnects_total', help: 'Times the co-processor link was re-opened after it dropped', read: () => s().reconnects },
      { name: 'waymark_serial_reboots_total', help: 'Unexpected co-processor reboots on a live link', read: () => s().reboots },
      { name: 'waymark_serial_crc_errors_total', help: 'Serial frames dropped for a bad CRC', read: () => s().crcErrors },
      { name: 'waymark_serial_resyncs_total', help: 'Times the serial frame parser threw bytes away and resynced', read: () => s().resyncs },
      { name: 'waymark_serial_malformed_total', help: 'Serial frames dropped as malformed or oversized', read: () => s().malformed + s().oversized },
      { name: 'waymark_serial_timeouts_total', help: 'Co-processor requests that got no reply in time', read: () => s().timeouts },
      { name: 'waymark_serial_device_errors_total', help: 'Error replies from the co-processor', read: () => s().deviceErrors },
      { name: 'waymark_serial_taps_total', help: 'NFC taps delivered (once each)', read: () => s().taps.delivered },
      { name: 'waymark_serial_tap_duplicates_total', help: 'NFC taps the co-processor sent again and were dropped', read: () => s().taps.duplicates },
    ];
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    await this.#queue.catch(() => undefined);
    const link = this.#link;
    this.#retire();
    await link?.close();
  }

  // ---- connection ---------------------------------------------------------------------

  async #connect(): Promise<void> {
    const link = new SerialLink({
      heartbeatIntervalMs: 1000,
      ...this.#options.link,
      path: this.#options.path,
      binding: this.#binding,
      ...(this.#options.baudRate === undefined ? {} : { baudRate: this.#options.baudRate }),
    });
    link.on('advReport', (event) => this.#onReport(event));
    link.on('nfcTap', (event) => this.#onTap(link, event));
    link.on('boot', () => this.#onBoot(link));
    link.on('deviceError', (err) => this.#emitError(err));
    link.on('fatalError', () => this.#onLinkDown(link));
    link.on('close', () => this.#onLinkDown(link));
    this.#link = link;
    this.#opening = link;
    try {
      this.#capabilities = await link.open();
      await this.#run(() => this.#restore(link));
      if (!link.isOpen) throw new WaymarkError('WAYMARK_ERR_SERIAL_DISCONNECTED', `${this.#options.path}: link dropped while restoring`);
    } catch (err) {
      if (this.#link === link) this.#retire();
      await link.close();
      throw err;
    } finally {
      this.#opening = undefined;
    }
    if (this.#closed || this.#link !== link) return;
    this.#connected = true;
    this.#attempt = 0;
    this.scanner.setState('poweredOn');
    this.advertiser.setState('poweredOn');
    this.emit('link', true);
  }

  /**
   * Put the board in the state the kiosk asked for: scanning, advertising, NFC, then collect
   * missed taps. Stops are sent too: a board that kept running while the cable was out still
   * does what it was told before.
   */
  async #restore(link: SerialLink): Promise<void> {
    if (this.#wantScan) {
      await this.#startScan(link);
      this.#counters.restarts++;
    } else await link.request('SCAN_STOP', {});
    if (this.#adv.data) await link.request('ADV_SET_DATA', this.#adv.data);
    if (this.#adv.data && this.#adv.intervalUnits !== undefined) await link.request('ADV_START', { intervalUnits: this.#adv.intervalUnits });
    else await link.request('ADV_STOP', {});
    const nfc = this.#options.nfc ?? { enabled: true };
    if (this.#capabilities?.nfc) {
      await link.request('NFC_POLL', { enabled: nfc.enabled, aid: nfc.aid ?? WAYMARK_NFC_AID });
      if (nfc.enabled) await this.#resyncTaps(link);
    }
  }

  async #resyncTaps(link: SerialLink): Promise<void> {
    try {
      const reply = await link.request('NFC_TAP_ACK', this.#ledger.resync());
      this.#tapAck = true;
      this.#ledger.resyncReplied(reply);
    } catch (err) {
      // firmware from before tap acknowledgement: taps are delivered as they come
      if (isWaymarkError(err, 'WAYMARK_ERR_DEVICE_ERROR') && (err.details as { deviceError?: string }).deviceError === 'UNKNOWN_COMMAND') {
        this.#tapAck = false;
        this.#ledger.resyncReplied({ bootId: 0, lastTapSeq: 0 });
      } else throw err;
    }
  }

  async #startScan(link: SerialLink): Promise<void> {
    const p = this.#scanParams;
    const interval = msToUnits(p.intervalMs);
    await link.request('SCAN_START', {
      intervalUnits: interval,
      windowUnits: Math.min(interval, msToUnits(p.windowMs)),
      active: p.active && this.#capabilities?.activeScan === true,
      filterDuplicates: p.filterDuplicates,
    });
  }

  #onLinkDown(link: SerialLink): void {
    if (this.#link !== link || this.#opening === link) return;
    this.#retire();
    if (this.#closed) return;
    this.scanner.setState('poweredOff');
    this.advertiser.setState('poweredOff');
    this.emit('link', false);
    this.#scheduleReconnect();
  }

  /** Forget the current link, keeping its counters. */
  #retire(): void {
    const link = this.#link;
    if (link) {
      const s = link.stats();
      const p = this.#past;
      p.crcErrors += s.parser.crcErrors;
      p.resyncs += s.parser.resyncs;
      p.malformed += s.parser.malformed;
      p.oversized += s.parser.oversized;
      p.droppedBytes += s.parser.droppedBytes;
      p.timeouts += s.timeouts;
      p.deviceErrors += s.deviceErrors;
      p.heartbeatMisses += s.heartbeatMisses;
    }
    this.#link = undefined;
    this.#connected = false;
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer) return;
    const { initialDelayMs, maxDelayMs, factor } = this.#backoff;
    const delay = Math.min(maxDelayMs, initialDelayMs * factor ** this.#attempt);
    this.#attempt++;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#closed) return;
      this.#connect().then(
        () => void this.#counters.reconnects++,
        (err: unknown) => {
          this.#counters.reconnectFailures++;
          if (!isWaymarkError(err, 'WAYMARK_ERR_RADIO_UNAVAILABLE')) this.#emitError(err as Error);
          this.#scheduleReconnect();
        },
      );
    }, delay);
  }

  #onBoot(link: SerialLink): void {
    if (this.#link !== link || !this.#connected) return; // the BOOT of a board we are still opening
    this.#counters.reboots++;
    // the board forgot the handshake and every setting: do both again on the same port
    this.#connected = false;
    this.scanner.setState('resetting');
    void this.#run(async () => {
      await link.request('HELLO', { minVersion: 1, maxVersion: 1 });
      await this.#restore(link);
    }).then(
      () => {
        if (this.#link !== link) return;
        this.#connected = true;
        this.scanner.setState('poweredOn');
      },
      (err: unknown) => {
        this.#emitError(err as Error);
        if (this.#link === link) void link.close(); // start over with a fresh open
      },
    );
  }

  // ---- events from the board ------------------------------------------------------------

  #onReport(event: EventOf<'ADV_REPORT'>): void {
    const checked = checkAdvReport(event, this.#options.clock.now());
    if ('drop' in checked) {
      this.#dropped[checked.drop]++;
      return;
    }
    if (!this.#wantScan) return;
    this.#counters.reports++;
    this.scanner.deliver(checked.report);
  }

  #onTap(link: SerialLink, event: EventOf<'NFC_TAP'>): void {
    const decision = this.#ledger.accept(event);
    if (decision.ack && this.#tapAck) this.#ack(link, decision.ack);
    if (decision.action !== 'deliver') return;
    const tap: SerialTap = {
      kind: event.kind === TapKind.ISO_DEP ? 'iso-dep' : 'uid',
      uid: event.uid,
      response: event.response,
      time: this.#options.clock.now(),
    };
    if (event.bootId !== undefined) tap.bootId = event.bootId;
    if (event.tapSeq !== undefined) tap.tapSeq = event.tapSeq;
    this.emit('tap', tap);
  }

  #ack(link: SerialLink, ack: TapAck): void {
    // not queued: an acknowledgement may overtake the kiosk's commands; a lost one is repaired at the next resync
    link.request('NFC_TAP_ACK', ack).then(
      (reply) => {
        if (ack.resend) this.#ledger.resyncReplied(reply);
      },
      () => undefined,
    );
  }

  // ---- helpers ----------------------------------------------------------------------------

  #run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Run `fn` on the link now if it is up; if it is down the wish is kept and applied on reconnect. */
  async #whenConnected(fn: (link: SerialLink) => Promise<unknown>): Promise<void> {
    if (this.#closed) throw new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${this.name} is closed`);
    await this.#run(async () => {
      const link = this.#link;
      if (!link || !this.#connected) return;
      try {
        await fn(link);
      } catch (err) {
        // the link went down under the command: restore will apply it
        if (isWaymarkError(err, 'WAYMARK_ERR_SERIAL_DISCONNECTED') || !this.#connected) return;
        throw err;
      }
    });
  }

  #emitError(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    this.scanner.reportError(err);
  }
}

function zeroLinkTotals(): Omit<SerialLinkStats, 'parser'> & SerialLinkStats['parser'] {
  return {
    frames: 0, crcErrors: 0, malformed: 0, oversized: 0, resyncs: 0, droppedBytes: 0,
    framesOut: 0, requests: 0, timeouts: 0, deviceErrors: 0, events: 0, unmatched: 0, heartbeatMisses: 0,
  };
}

class SerialScanner extends TypedEmitter<ScannerEvents> implements Scanner {
  readonly name: string;
  readonly #radio: SerialCoprocessorRadio;

  constructor(radio: SerialCoprocessorRadio) {
    super();
    this.#radio = radio;
    this.name = radio.name;
  }

  async start(): Promise<void> {
    await this.#radio.setScanning(true);
  }

  async stop(): Promise<void> {
    if (this.#radio.closed) return;
    await this.#radio.setScanning(false);
  }

  stats(): ScannerStats {
    return this.#radio.scannerStats();
  }

  /** Closing the scanner closes the radio: the kiosk owns the radio through its scanner. */
  async close(): Promise<void> {
    await this.#radio.close();
  }

  setState(state: RadioState): void {
    this.emit('state', state);
  }

  deliver(report: Parameters<ScannerEvents['report']>[0]): void {
    this.emit('report', report);
  }

  reportError(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

class SerialRadioAdvertiser extends TypedEmitter<AdvertiserEvents> implements SerialAdvertiser {
  readonly name: string;
  readonly #radio: SerialCoprocessorRadio;

  constructor(radio: SerialCoprocessorRadio) {
    super();
    this.#radio = radio;
    this.name = radio.name;
  }

  get extendedAdvertising(): boolean {
    return this.#radio.capabilities?.extendedAdvertising === true;
  }

  async setData(advertisement: Uint8Array, scanResponse: Uint8Array = new Uint8Array(0)): Promise<void> {
    const legacy = advertisement.length <= LEGACY_ADV_DATA_MAX && scanResponse.length <= LEGACY_ADV_DATA_MAX;
    if (!legacy) {
      const caps = this.#radio.capabilities;
      if (!caps?.extendedAdvertising) throw new RangeError(`advertisement and scanResponse must be at most 31 bytes each without extended advertising, got ${advertisement.length} + ${scanResponse.length}`);
      if (advertisement.length + scanResponse.length > caps.maxAdvDataLength) {
        throw new RangeError(`advertising data ${advertisement.length + scanResponse.length} bytes exceeds the board's ${caps.maxAdvDataLength}`);
      }
    }
    await this.#radio.setAdvertisingData({ mode: legacy ? AdvMode.LEGACY : AdvMode.EXTENDED, advData: advertisement.slice(), scanResponse: scanResponse.slice() });
  }

  async setBeacon(epoch: BeaconEpoch): Promise<void> {
    if (this.extendedAdvertising) await this.setData(epoch.extended);
    else await this.setData(epoch.pages[0]!.advertisement, epoch.pages[0]!.scanResponse);
  }

  async start(intervalMs: number): Promise<void> {
    if (!(intervalMs >= 20 && intervalMs <= 10_240)) throw new RangeError(`intervalMs must be 20..10240, got ${intervalMs}`);
    await this.#radio.setAdvertising(msToUnits(intervalMs));
  }

  async stop(): Promise<void> {
    if (this.#radio.closed) return;
    await this.#radio.setAdvertising(undefined);
  }

  async close(): Promise<void> {
    await this.stop().catch(() => undefined);
  }

  setState(state: RadioState): void {
    this.emit('state', state);
  }
}
