/**
 * What gets lost between one simulated device and the kiosk besides weak signals: packets
 * lost at random (collisions, the scanner listening on another advertising channel) and
 * fades, spells of seconds in which nothing the device sends is heard (a body, a shelf or
 * a closing door in between). Each device owns one, with its own random stream.
 */
import type { SimRandom } from './rng.js';

export interface ReceptionOptions {
  /** Share of packets lost at random, 0..1. */
  loss: number;
  /** Mean fades per hour of a device's time on air. */
  fadesPerHour: number;
  /** A fade lasts this long, uniformly drawn, ms. */
  fadeMs: [number, number];
}

export class Reception {
  readonly #rng: SimRandom;
  readonly #loss: number;
  readonly #fadeRate: number;
  readonly #fadeMs: [number, number];
  #fadeFrom = -Infinity;
  #fadeUntil = -Infinity;
  #nextFade: number;

  /** `fromMs`: when the device goes on air (the first fade comes after it). */
  constructor(rng: SimRandom, opts: ReceptionOptions, fromMs: number) {
    this.#rng = rng;
    this.#loss = opts.loss;
    this.#fadeRate = opts.fadesPerHour / 3_600_000;
    this.#fadeMs = opts.fadeMs;
    this.#nextFade = this.#fadeRate > 0 && Number.isFinite(fromMs) ? fromMs + rng.exponential(this.#fadeRate) : Infinity;
  }

  /** Whether a packet sent at `t` is lost; call with times that do not decrease. */
  lost(t: number): boolean {
    while (t >= this.#nextFade) {
      this.#fadeFrom = this.#nextFade;
      this.#fadeUntil = this.#fadeFrom + this.#rng.uniform(this.#fadeMs[0], this.#fadeMs[1]);
      this.#nextFade = this.#fadeUntil + this.#rng.exponential(this.#fadeRate);
    }
    if (t >= this.#fadeFrom && t < this.#fadeUntil) return true;
    return this.#loss > 0 && this.#rng.next() < this.#loss;
  }
}
