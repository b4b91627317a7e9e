/**
 * A simulated co-processor board on a real pseudo-terminal: the simulated firmware serves the
 * device end, the virtual venue's traffic is what its radio hears, and the cable can be pulled
 * and put back (a new pty, the same symlink) for `bridge simulate`, demo mode and tests.
 */
import type { Clock } from '../core/clock.js';
import { readlinkSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { PseudoTerminal } from './pty.js';
import type { AirPacket } from './air.js';
import { FULL_SIM_CAPABILITIES, SimulatedFirmware, type SimulatedFirmwareOptions } from './firmware.js';
import { VirtualVenue, type VirtualVenueOptions } from './venue.js';

export interface SimulatedBoardOptions {
  clock: Clock;
  /** Symlink to keep pointing at the current device end (`--link`). */
  link?: string;
  /** Drive the radio with this venue (seeded); none: the board hears only what `hear` is given. */
  venue?: VirtualVenueOptions & { seed: number };
  firmware?: SimulatedFirmwareOptions;
  /** How often the venue's traffic is put on air, wall ms. Default 20. */
  pumpIntervalMs?: number;
  /** Simulated NFC taps every this many simulated seconds (a phone UID each); 0 = none. */
  tapEveryS?: number;
  /** The tapping phones run the Waymark app: they answer SELECT AID with a check-in nonce (ISO-DEP), not just a UID. */
  phonesAnswer?: boolean;
}

export interface SimulatedBoardStats {
  packetsOnAir: number;
  reportsSent: number;
  tapsMade: number;
  plugged: boolean;
  replugs: number;
}

export class SimulatedBoard {
  readonly firmware: SimulatedFirmware;
  readonly venue: VirtualVenue | undefined;
  readonly #options: SimulatedBoardOptions;
  #pty: PseudoTerminal | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stats = { packetsOnAir: 0, reportsSent: 0, tapsMade: 0, replugs: 0 };
  #nextTapAt: number | undefined;
  #plugs = 0;
  #phones = 0;

  private constructor(options: SimulatedBoardOptions) {
    this.#options = options;
    this.firmware = new SimulatedFirmware({ capabilities: FULL_SIM_CAPABILITIES, board: 'waymark-sim-pty', ...options.firmware });
    this.venue = options.venue
      ? new VirtualVenue({ startWithOccupants: true, ...options.venue, startMs: options.venue.startMs ?? options.clock.now() })
      : undefined;
  }

  /** Allocate the pty, power the board on (BOOT), and start putting the venue on air. */
  static async start(options: SimulatedBoardOptions): Promise<SimulatedBoard> {
    const board = new SimulatedBoard(options);
    await board.plug();
    board.firmware.boot();
    if (options.tapEveryS) board.#nextTapAt = options.clock.now() + options.tapEveryS * 1000;
    board.#timer = setInterval(() => board.pump(), options.pumpIntervalMs ?? 20);
    return board;
  }

  /** The device end the kiosk opens now (changes on every replug). */
  get path(): string | undefined {
    return this.#pty?.path;
  }

  get plugged(): boolean {
    return this.#pty !== undefined && !this.#pty.closed;
  }

  /** Put everything up to `until` on air now; returns how many reports went to the host. */
  pump(until = this.#options.clock.now()): number {
    let sent = 0;
    if (this.venue) {
      const packets = this.venue.packetsUntil(until);
      this.#stats.packetsOnAir += packets.length;
      for (const p of packets) if (this.hear(p)) sent++;
    }
    const every = this.#options.tapEveryS;
    while (every && this.#nextTapAt !== undefined && this.#nextTapAt <= until) {
      const n = ++this.#phones;
      // a phone's random NFC UID starts with 0x08; the tap only counts if the reader was polling
      const uid = Uint8Array.of(0x08, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
      if (this.firmware.tap(uid, this.#options.phonesAnswer ? phoneNfcAnswer(randomBytes(14)) : undefined)) this.#stats.tapsMade++;
      this.#nextTapAt += every * 1000;
    }
    return sent;
  }

  /** A phone running the Waymark app touches the reader: it answers SELECT AID with `nonce` (14 bytes; default random). */
  phoneTap(nonce: Uint8Array = randomBytes(14)): boolean {
    const n = ++this.#phones;
    const made = this.firmware.tap(Uint8Array.of(0x08, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff), phoneNfcAnswer(nonce));
    if (made) this.#stats.tapsMade++;
    return made;
  }

  /** The board's radio heard a packet (reported if the host asked for scanning). */
  hear(packet: AirPacket): boolean {
    const sent = this.firmware.hear(packet);
    if (sent) this.#stats.reportsSent++;
    return sent;
  }

  /** Pull the cable: the far end closes, the host's reads fail. The firmware keeps running (a UART board with its own supply). */
  async unplug(): Promise<void> {
    const pty = this.#pty;
    this.#pty = undefined;
    this.firmware.connect(() => undefined); // what it sends now goes nowhere
    await pty?.close();
  }

  /** Put the cable back: a new pty, the symlink re-pointed. With `reboot`, the board powers up again (a USB-powered board). */
  async plug(options: { reboot?: boolean } = {}): Promise<void> {
    if (this.plugged) return;
    const pty = await PseudoTerminal.open(this.#options.link ? { link: this.#options.link } : {});
    this.#pty = pty;
    pty.on('data', (bytes) => this.firmware.receive(bytes));
    pty.on('close', () => {
      if (this.#pty === pty) this.#pty = undefined;
    });
    // coalesce the frames of one tick into one write: a venue pump emits hundreds at once
    let pending: Uint8Array[] = [];
    this.firmware.connect((bytes) => {
      if (pending.push(bytes.slice()) > 1) return;
      setImmediate(() => {
        const chunks = pending;
        pending = [];
        pty.write(Buffer.concat(chunks));
      });
    });
    if (this.#plugs++ > 0) this.#stats.replugs++;
    if (options.reboot) this.firmware.boot();
  }

  stats(): SimulatedBoardStats {
    return { ...this.#stats, plugged: this.plugged };
  }

  /** Stop the venue and close the pty; the symlink is removed if it still points at this board's device. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    const path = this.path;
    await this.unplug();
    const link = this.#options.link;
    if (link && path) {
      try {
        if (readlinkSync(link) === path) rmSync(link);
      } catch {
        // already gone
      }
    }
  }
}

/** A Waymark phone's answer to SELECT AID: its 14-byte check-in nonce, then SW 90 00 (docs/PROTOCOL.md "NFC tap check-in"). */
export function phoneNfcAnswer(nonce: Uint8Array): Uint8Array {
  if (nonce.length !== 14) throw new RangeError(`nonce must be 14 bytes, got ${nonce.length}`);
  const answer = new Uint8Array(16);
  answer.set(nonce);
  answer.set([0x90, 0x00], 14);
  return answer;
}
