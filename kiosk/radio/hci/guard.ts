/**
 * A guard between any HCI socket (the kernel's or a virtual one) and noble/bleno: it
 * checks every incoming packet's lengths, AD structures and RSSI, and counts and drops
 * the bad ones, because noble's parser throws (or silently misreads) on them. The scanner
 * may divert the advertising report events that pass to its own parser (the hot path),
 * so that noble sees every other packet but those.
 */
import { adStructuresProblem } from '../../../core/address.js';
import { EventEmitter } from 'node:events';
import type { ErrorCode } from '../../../core/errors.js';
import { HciEventCode, HciPacketType, LeSubeventCode, Opcode } from './packet.js';
import type { HciDevice, HciSocketClass, HciSocketLike } from './socket.js';

export interface HciGuardCounters {
  /** Packets passed on unchanged or rebuilt without their bad reports. */
  passed: number;
  /** Packets dropped whole. */
  dropped: number;
  /** Truncated or inconsistent packets (WAYMARK_ERR_HCI_MALFORMED). */
  hciMalformed: number;
  /** Advertising reports whose AD structures run past the end or have a zero length before data (WAYMARK_ERR_AD_MALFORMED). */
  adMalformed: number;
  /** Advertising reports with RSSI outside -127..+20 dBm or 127 "unavailable" (WAYMARK_ERR_RSSI_OUT_OF_RANGE). */
  rssiOutOfRange: number;
}

export interface HciDrop {
  code: ErrorCode;
  detail: string;
}

export function emptyGuardCounters(): HciGuardCounters {
  return { passed: 0, dropped: 0, hciMalformed: 0, adMalformed: 0, rssiOutOfRange: 0 };
}

/** Totals over every guarded socket in the process. */
export const hciGuardTotals: HciGuardCounters = emptyGuardCounters();

/** Return-parameter bytes (status included) a host reads regardless of status, and when status is success. */
const COMPLETE_MIN_ALWAYS = new Map<number, number>([
  [Opcode.READ_LOCAL_VERSION, 9],
  [Opcode.READ_BD_ADDR, 7],
  [Opcode.READ_RSSI, 4],
  [Opcode.READ_BUFFER_SIZE, 6],
  [Opcode.LE_LTK_REQUEST_NEGATIVE_REPLY, 3],
]);
const COMPLETE_MIN_ON_SUCCESS = new Map<number, number>([
  [Opcode.READ_LE_HOST_SUPPORTED, 3],
  [Opcode.READ_BUFFER_SIZE, 8],
  [Opcode.LE_READ_BUFFER_SIZE, 4],
]);
/** Parameter bytes (subevent code included) of the LE meta subevents noble and bleno parse field by field. */
const LE_SUBEVENT_MIN = new Map<number, number>([
  [LeSubeventCode.CONNECTION_COMPLETE, 19],
  [LeSubeventCode.CONNECTION_UPDATE_COMPLETE, 10],
  [LeSubeventCode.ENHANCED_CONNECTION_COMPLETE, 31],
]);

const ADV_REPORT_HEADER = 9; // event_type, address_type, address(6), data_length
const EXT_REPORT_HEADER = 24;
const LE_SET_EXTENDED_SCAN_ENABLE = 0x2042;

/** AD structures in [start, end): a length running past the end is malformed; a zero length may only be followed by zero padding. */
export function adStructuresMalformed(buf: Uint8Array, start: number, end: number): boolean {
  return adStructuresProblem(buf, start, end) !== null;
}

/** -127..+20 dBm is what the Core spec allows in an advertising report; 127 means "not available". */
export function rssiPlausible(rssiByte: number): boolean {
  const rssi = (rssiByte << 24) >> 24;
  return rssi >= -127 && rssi <= 20;
}

/** Screens packets one by one and keeps counters; the pure part of the guard. */
export class HciPacketScreen {
  readonly counters: HciGuardCounters = emptyGuardCounters();
  /** Why the last packet (or report) was dropped. */
  lastDrop: HciDrop | null = null;

  constructor(private readonly totals: HciGuardCounters | null = hciGuardTotals) {}

  /** Returns the packet to pass on (the same one, or one rebuilt without its bad reports), or null to drop it. */
  screen(packet: Uint8Array): Uint8Array | null {
    const defect = this.#structuralDefect(packet);
    if (defect) return this.#drop('hciMalformed', 'WAYMARK_ERR_HCI_MALFORMED', defect);
    if (packet[0] === HciPacketType.EVENT && packet[1] === HciEventCode.LE_META) {
      if (packet[3] === LeSubeventCode.ADVERTISING_REPORT) return this.#screenReports(packet, ADV_REPORT_HEADER, 8, 9);
      if (packet[3] === LeSubeventCode.EXTENDED_ADVERTISING_REPORT) return this.#screenReports(packet, EXT_REPORT_HEADER, 23, 13);
    }
    this.#count('passed');
    return packet;
  }

  #count(key: keyof HciGuardCounters, n = 1): void {
    this.counters[key] += n;
    if (this.totals) this.totals[key] += n;
  }

  #drop(key: keyof HciGuardCounters, code: ErrorCode, detail: string): null {
    this.#count(key);
    this.#count('dropped');
    this.lastDrop = { code, detail };
    return null;
  }

  /** Lengths only: the packet must be exactly as long as its header says and long enough for what the host reads. */
  #structuralDefect(p: Uint8Array): string | null {
    if (p.length === 0) return 'empty packet';
    switch (p[0]) {
      case HciPacketType.EVENT: {
        if (p.length < 3) return 'event shorter than its header';
        const plen = p[2];
        if (plen !== p.length - 3) return `event ${hex(p[1])} says ${plen} parameter bytes, has ${p.length - 3}`;
        return eventDefect(p, plen);
      }
      case HciPacketType.ACL_DATA: {
        if (p.length < 5) return 'ACL packet shorter than its header';
        const dlen = p[3] | (p[4] << 8);
        if (dlen !== p.length - 5) return `ACL packet says ${dlen} bytes, has ${p.length - 5}`;
        if (p[2] >> 4 === 0x2 && p.length < 9) return 'ACL start fragment shorter than an L2CAP header';
        return null;
      }
      case HciPacketType.COMMAND: {
        if (p.length < 4) return 'command shorter than its header';
        if (p[3] !== p.length - 4) return `command says ${p[3]} parameter bytes, has ${p.length - 4}`;
        const opcode = p[1] | (p[2] << 8);
        if ((opcode === Opcode.LE_SET_SCAN_ENABLE || opcode === LE_SET_EXTENDED_SCAN_ENABLE) && p.length < 6) {
          return 'LE Set Scan Enable command without its parameters';
        }
        return null;
      }
      default:
        return null; // the hosts ignore other packet types
    }
  }

  /**
   * Walks the reports of an (extended) advertising report event. A report whose lengths
   * run past the event drops the whole event; reports with bad AD or RSSI are cut out.
   */
  #screenReports(p: Uint8Array, header: number, lengthAt: number, rssiAt: number): Uint8Array | null {
    const num = p[4];
    if (num === 0) return this.#drop('hciMalformed', 'WAYMARK_ERR_HCI_MALFORMED', 'advertising report event with no reports');
    const end = p.length;
    const extended = header === EXT_REPORT_HEADER;
    let off = 5;
    let bad: number[] | null = null;
    let lastDefect: HciDrop | null = null;
    for (let r = 0; r < num; r++) {
      if (off + header > end) return this.#drop('hciMalformed', 'WAYMARK_ERR_HCI_MALFORMED', `report ${r} header runs past the event`);
      const dlen = p[off + lengthAt];
      const rssiOff = extended ? off + rssiAt : off + header + dlen;
      const next = off + header + dlen + (extended ? 0 : 1);
      if (next > end) return this.#drop('hciMalformed', 'WAYMARK_ERR_HCI_MALFORMED', `report ${r} data length ${dlen} runs past the event`);
      if (!extended && dlen > 31) return this.#drop('hciMalformed', 'WAYMARK_ERR_HCI_MALFORMED', `report ${r} data length ${dlen} > 31`);
      if (adStructuresMalformed(p, off + header, off + header + dlen)) {
        (bad ??= []).push(r);
        this.#count('adMalformed');
        lastDefect = { code: 'WAYMARK_ERR_AD_MALFORMED', detail: `report ${r}: an AD structure runs past the data or follows a zero length` };
      } else if (!rssiPlausible(p[rssiOff])) {
        (bad ??= []).push(r);
        this.#count('rssiOutOfRange');
        lastDefect = { code: 'WAYMARK_ERR_RSSI_OUT_OF_RANGE', detail: `report ${r}: rssi ${(p[rssiOff] << 24) >> 24}` };
      }
      off = next;
    }
    if (off !== end) return this.#drop('hciMalformed', 'WAYMARK_ERR_HCI_MALFORMED', `${end - off} bytes after the last report`);
    if (!bad) {
      this.#count('passed');
      return p;
    }
    this.lastDrop = lastDefect;
    if (bad.length === num) {
      this.#count('dropped');
      return null;
    }
    this.#count('passed');
    return rebuildWithout(p, bad, header, lengthAt, extended);
  }
}

function eventDefect(p: Uint8Array, plen: number): string | null {
  switch (p[1]) {
    case HciEventCode.DISCONNECTION_COMPLETE:
    case HciEventCode.ENCRYPTION_CHANGE:
      return plen >= 4 ? null : `event ${hex(p[1])} too short`;
    case HciEventCode.COMMAND_STATUS:
      return plen >= 4 ? null : 'Command Status too short';
    case HciEventCode.COMMAND_COMPLETE: {
      if (plen < 4) return 'Command Complete too short';
      const opcode = p[4] | (p[5] << 8);
      const ret = plen - 3;
      const always = COMPLETE_MIN_ALWAYS.get(opcode) ?? 1;
      const onSuccess = p[6] === 0 ? COMPLETE_MIN_ON_SUCCESS.get(opcode) ?? 1 : 1;
      const need = Math.max(always, onSuccess);
      return ret >= need ? null : `Command Complete for ${hex(opcode, 4)} has ${ret} return bytes, needs ${need}`;
    }
    case HciEventCode.NUMBER_OF_COMPLETED_PACKETS:
      return plen >= 1 && plen >= 1 + 4 * p[3] ? null : 'Number Of Completed Packets too short';
    case HciEventCode.LE_META: {
      if (plen < 2) return 'LE Meta event too short';
      const need = LE_SUBEVENT_MIN.get(p[3]);
      return need === undefined || plen >= need ? null : `LE subevent ${hex(p[3])} too short`;
    }
    default:
      return null;
  }
}

function rebuildWithout(p: Uint8Array, bad: number[], header: number, lengthAt: number, extended: boolean): Buffer {
  const parts: Uint8Array[] = [];
  let off = 5;
  for (let r = 0; r < p[4]; r++) {
    const next = off + header + p[off + lengthAt] + (extended ? 0 : 1);
    if (!bad.includes(r)) parts.push(p.subarray(off, next));
    off = next;
  }
  const body = Buffer.concat(parts);
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = p[0];
  out[1] = p[1];
  out[2] = 2 + body.length;
  out[3] = p[3];
  out[4] = parts.length;
  body.copy(out, 5);
  return out;
}

function hex(n: number, width = 2): string {
  return `0x${n.toString(16).padStart(width, '0')}`;
}

/** Whether a packet is an LE Advertising Report or LE Extended Advertising Report event. */
export function isAdvertisingReportEvent(p: Uint8Array): boolean {
  return p[0] === HciPacketType.EVENT && p[1] === HciEventCode.LE_META &&
    (p[3] === LeSubeventCode.ADVERTISING_REPORT || p[3] === LeSubeventCode.EXTENDED_ADVERTISING_REPORT);
}

/** A guarded socket: the wrapped socket's API, with `data` screened first. */
export interface GuardedHciSocket extends HciSocketLike {
  readonly inner: HciSocketLike;
  readonly guard: HciPacketScreen;
  /** The device id the last bindRaw/bindUser returned. */
  readonly boundDevId: number | null;
  /**
   * From now on, advertising report events that pass the guard go to `sink` instead of the
   * socket's `data` listeners (noble); null gives them back. Every other packet is unchanged.
   */
  divertAdvertisingReports(sink: ((event: Uint8Array) => void) | null): void;
}

export type GuardedHciSocketClass = (new () => GuardedHciSocket) & { readonly base: HciSocketClass };

/**
 * Wraps any bluetooth-hci-socket-like class so that every packet it emits is screened
 * before noble or bleno see it. Construction errors of the wrapped class (EAFNOSUPPORT
 * where there is no Bluetooth) propagate unchanged.
 */
export function guardHciSocket(Base: HciSocketClass): GuardedHciSocketClass {
  return class Guarded extends EventEmitter implements GuardedHciSocket {
    static readonly base = Base;
    readonly inner: HciSocketLike;
    readonly guard = new HciPacketScreen();
    boundDevId: number | null = null;
    #reportSink: ((event: Uint8Array) => void) | null = null;

    constructor() {
      super();
      this.inner = new Base();
      this.inner.on('data', (packet: Buffer) => {
        const ok = this.guard.screen(packet);
        if (ok === null) return;
        if (this.#reportSink !== null && isAdvertisingReportEvent(ok)) this.#reportSink(ok);
        else this.emit('data', ok);
      });
      this.inner.on('error', (err: Error) => this.emit('error', err));
    }

    divertAdvertisingReports(sink: ((event: Uint8Array) => void) | null): void {
      this.#reportSink = sink;
    }

    bindRaw(...args: [number?]): number {
      this.boundDevId = this.inner.bindRaw(...args);
      return this.boundDevId;
    }

    bindUser(...args: [number?]): number {
      this.boundDevId = this.inner.bindUser(...args);
      return this.boundDevId;
    }

    bindControl(): number {
      return this.inner.bindControl();
    }

    start(): void {
      this.inner.start();
    }

    stop(): void {
      this.inner.stop();
    }

    write(data: Buffer): void {
      this.inner.write(data);
    }

    setFilter(filter: Buffer): void {
      this.inner.setFilter(filter);
    }

    isDevUp(): boolean {
      return this.inner.isDevUp();
    }

    getDeviceList(): HciDevice[] {
      return this.inner.getDeviceList();
    }

    reset(): void {
      this.inner.reset?.();
    }

    cleanup(): void {
      this.inner.cleanup?.();
    }
  };
}
