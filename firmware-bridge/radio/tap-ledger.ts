/**
 * Exactly-once delivery of NFC taps over a link that drops: the host's half of the TAP_ACK
 * scheme (docs/PROTOCOL.md "Tap delivery"). It decides, per incoming tap, whether to deliver
 * it, drop it as a repeat or ask the firmware to resend what went missing. Pure; no I/O.
 */
import type { EventOf } from '../protocol/commands.js';

/** What the radio should do with a tap, and which NFC_TAP_ACK to send. */
export type TapDecision =
  | { action: 'deliver'; ack?: TapAck }
  | { action: 'duplicate'; ack?: TapAck }
  | { action: 'hold'; ack?: TapAck };

export interface TapAck {
  bootId: number;
  tapSeq: number;
  resend: boolean;
}

export interface TapLedgerStats {
  delivered: number;
  duplicates: number;
  /** Times a tap arrived ahead of one still missing and a resend was asked for. */
  gaps: number;
  /** Taps that never came back after a resend (the firmware's queue had dropped them). */
  lost: number;
}

export class TapLedger {
  #bootId = 0;
  #lastSeq = 0;
  /** A resend was asked for; `replied` once its answer came, so the next tap settles it. */
  #recovery: 'none' | 'requested' | 'replied' = 'none';
  #stats: TapLedgerStats = { delivered: 0, duplicates: 0, gaps: 0, lost: 0 };

  /** The acknowledgement to send after every (re)connect: all delivered so far, resend the rest. */
  resync(): TapAck {
    this.#recovery = 'requested';
    return { bootId: this.#bootId, tapSeq: this.#lastSeq, resend: true };
  }

  /** The firmware answered a resend request: its boot and newest tap number. */
  resyncReplied(reply: { bootId: number; lastTapSeq: number }): void {
    if (reply.bootId !== this.#bootId) {
      // the board rebooted: its taps are numbered afresh, and those we had are history
      this.#bootId = reply.bootId;
      this.#lastSeq = 0;
    }
    this.#recovery = reply.lastTapSeq > this.#lastSeq ? 'replied' : 'none';
  }

  /** A tap without bootId/tapSeq (firmware without TAP_ACK) is always delivered. */
  accept(tap: EventOf<'NFC_TAP'>): TapDecision {
    const { bootId, tapSeq } = tap;
    if (bootId === undefined || tapSeq === undefined) {
      this.#stats.delivered++;
      return { action: 'deliver' };
    }
    if (bootId !== this.#bootId) {
      this.#bootId = bootId;
      this.#lastSeq = 0;
      if (this.#recovery === 'requested') this.#recovery = 'none';
    }
    if (tapSeq <= this.#lastSeq) {
      this.#stats.duplicates++;
      // it came again because our acknowledgement did not arrive: say it again
      return { action: 'duplicate', ack: { bootId, tapSeq: this.#lastSeq, resend: false } };
    }
    if (tapSeq > this.#lastSeq + 1) {
      if (this.#recovery === 'replied') {
        // the resend skipped these: the firmware no longer has them
        this.#stats.lost += tapSeq - this.#lastSeq - 1;
      } else if (this.#recovery === 'requested') {
        return { action: 'hold' }; // the resend is on its way and will bring this one too
      } else {
        this.#stats.gaps++;
        this.#recovery = 'requested';
        return { action: 'hold', ack: { bootId, tapSeq: this.#lastSeq, resend: true } };
      }
    }
    this.#recovery = 'none';
    this.#lastSeq = tapSeq;
    this.#stats.delivered++;
    return { action: 'deliver', ack: { bootId, tapSeq, resend: false } };
  }

  stats(): TapLedgerStats {
    return { ...this.#stats };
  }
}
