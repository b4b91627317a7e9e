/**
 * The phone's beacon collector: feed it every Waymark Service Data payload the scanner
 * reports (with RSSI and receive time) and it groups fragments per advertiser and
 * epoch, reassembles, verifies against the kiosk's registered key and returns either a
 * verified beacon or a named error (WAYMARK_ERR_BEACON_INCOMPLETE while collecting).
 * Pure and clock-free: time comes in with each sample.
 */
import { WaymarkError, isWaymarkError } from '../core/errors.js';
import { equalBytes, toHex } from './bytes.js';
import { BEACON_PUBLIC_KEY_BYTES, decodeBeaconFrame } from './frame.js';
import { decodeBeaconFragment, reassembleBeaconFrame, type BeaconFragment } from './fragments.js';
import { BEACON_SERVICE_UUID } from './advertising.js';
import { DEFAULT_EPOCH_SKEW, verifyDecodedBeacon, type VerifiedBeacon } from './verify.js';

/** The registered Ed25519 public key of a kiosk id (16 hex digits), or undefined if unknown. */
export type BeaconKeyLookup = (kiosk: string) => Uint8Array | undefined;

export interface BeaconAssemblerOptions {
  keyFor: BeaconKeyLookup;
  /** Largest |phone epoch - frame epoch| accepted; default 1. */
  skewEpochs?: number;
  /** A partial frame nothing was added to for this long is dropped, ms; default 5000. */
  maxPartialAgeMs?: number;
  /** Advertisers tracked at once; the one heard least recently is forgotten first. Default 64. */
  maxSources?: number;
}

export interface BeaconSample {
  /** The advertiser as the phone's BLE stack names it (address, or peripheral id on iOS). */
  source: string;
  /** One Service Data payload for the beacon UUID, after the UUID bytes. */
  data: Uint8Array;
  rssi: number;
  /** Receive time on the phone's clock, ms since the Unix epoch. */
  timeMs: number;
}

/** What noble reports (and core/ports AdvertisingReport carries), structurally. */
export interface BeaconReportLike {
  address: string;
  rssi: number;
  time: number;
  serviceData: readonly { uuid: string; data: Uint8Array }[];
}

export type BeaconAssemblyResult =
  | { valid: true; beacon: VerifiedBeacon; /** true when this sample only repeated a frame already verified. */ repeat: boolean }
  | { valid: false; error: WaymarkError };

interface PartialFrame {
  count: number;
  /** Whole fragment bytes (header included) by index. */
  slots: (Uint8Array | undefined)[];
  rssiSum: number;
  rssiN: number;
  lastMs: number;
}

interface VerifiedFrame {
  epochLow: number;
  count: number;
  slots: Uint8Array[];
  beacon: VerifiedBeacon;
  rssiSum: number;
  rssiN: number;
}

interface SourceState {
  partials: Map<number, PartialFrame>;
  verified?: VerifiedFrame;
}

/** Partial frames kept per advertiser: the current epoch's and, around a boundary, the previous one. */
const PARTIALS_PER_SOURCE = 2;

export class BeaconAssembler {
  readonly #keyFor: BeaconKeyLookup;
  readonly #skewEpochs: number;
  readonly #maxPartialAgeMs: number;
  readonly #maxSources: number;
  readonly #sources = new Map<string, SourceState>();

  constructor(options: BeaconAssemblerOptions) {
    if (typeof options?.keyFor !== 'function') throw new TypeError('keyFor must be a function (kiosk id hex) => public key');
    this.#keyFor = options.keyFor;
    this.#skewEpochs = options.skewEpochs ?? DEFAULT_EPOCH_SKEW;
    this.#maxPartialAgeMs = options.maxPartialAgeMs ?? 5000;
    this.#maxSources = options.maxSources ?? 64;
    if (!Number.isInteger(this.#skewEpochs) || this.#skewEpochs < 0) throw new RangeError(`skewEpochs must be a non-negative integer, got ${this.#skewEpochs}`);
    if (!(this.#maxPartialAgeMs > 0)) throw new RangeError(`maxPartialAgeMs must be > 0, got ${this.#maxPartialAgeMs}`);
    if (!Number.isInteger(this.#maxSources) || this.#maxSources < 1) throw new RangeError(`maxSources must be a positive integer, got ${this.#maxSources}`);
  }

  /** A keyFor backed by a map of kiosk id hex -> public key. */
  static keysFrom(keys: ReadonlyMap<string, Uint8Array> | Record<string, Uint8Array>): BeaconKeyLookup {
    const map = keys instanceof Map ? keys : new Map(Object.entries(keys));
    return (kiosk) => map.get(kiosk.toLowerCase());
  }

  /** Advertisers with state held. */
  get sources(): number {
    return this.#sources.size;
  }

  clear(): void {
    this.#sources.clear();
  }

  /** Feed every beacon Service Data entry of one advertising report; one result per entry. */
  feedReport(report: BeaconReportLike): BeaconAssemblyResult[] {
    return report.serviceData
      .filter((sd) => sd.uuid.toLowerCase() === BEACON_SERVICE_UUID)
      .map((sd) => this.feed({ source: report.address, data: sd.data, rssi: report.rssi, timeMs: report.time }));
  }

  feed(sample: BeaconSample): BeaconAssemblyResult {
    let fragment: BeaconFragment;
    try {
      fragment = decodeBeaconFragment(sample.data);
    } catch (err) {
      return fail(err);
    }
    const state = this.#source(sample.source);
    this.#prune(state, sample.timeMs);

    const known = state.verified;
    if (known && known.epochLow === fragment.epochLow && known.count === fragment.count) {
      const slot = known.slots[fragment.index];
      if (slot && equalBytes(slot, sample.data)) return this.#repeat(state, known, sample);
    }

    let partial = state.partials.get(fragment.epochLow);
    if (partial) {
      const slot = partial.count === fragment.count ? partial.slots[fragment.index] : undefined;
      const conflict = partial.count !== fragment.count || (slot !== undefined && !equalBytes(slot, sample.data));
      if (conflict) {
        // Start over from the newcomer: a kiosk that restarted, or someone else's
        // fragments under the same address; either way the old pieces cannot be trusted.
        state.partials.delete(fragment.epochLow);
        this.#startPartial(state, fragment, sample);
        return fail(new WaymarkError('WAYMARK_ERR_BEACON_FRAGMENT_MISMATCH', `conflicting copies of fragment ${fragment.index} from ${sample.source}`, {
          details: { source: sample.source, index: fragment.index, count: fragment.count, epochLow: fragment.epochLow },
        }));
      }
      partial.slots[fragment.index] = sample.data.slice();
      partial.rssiSum += sample.rssi;
      partial.rssiN += 1;
      partial.lastMs = Math.max(partial.lastMs, sample.timeMs);
    } else {
      partial = this.#startPartial(state, fragment, sample);
    }

    const missing = partial.slots.flatMap((s, i) => (s === undefined ? [i] : []));
    if (missing.length > 0) {
      const have = partial.slots.flatMap((s, i) => (s === undefined ? [] : [i]));
      return fail(new WaymarkError('WAYMARK_ERR_BEACON_INCOMPLETE', `have fragments [${have.join(', ')}] of ${partial.count} from ${sample.source}`, {
        details: { source: sample.source, have, missing, count: partial.count },
      }));
    }
    state.partials.delete(fragment.epochLow);
    return this.#complete(state, fragment.epochLow, partial, sample.timeMs);
  }

  #complete(state: SourceState, epochLow: number, partial: PartialFrame, timeMs: number): BeaconAssemblyResult {
    const slots = partial.slots as Uint8Array[];
    let decoded;
    try {
      decoded = decodeBeaconFrame(reassembleBeaconFrame(slots));
    } catch (err) {
      return fail(err);
    }
    const kiosk = toHex(decoded.kioskId);
    const key = this.#keyFor(kiosk);
    if (key === undefined) {
      return fail(new WaymarkError('WAYMARK_ERR_BEACON_UNKNOWN_KIOSK', kiosk, { details: { kiosk } }));
    }
    if (!(key instanceof Uint8Array) || key.length !== BEACON_PUBLIC_KEY_BYTES) {
      throw new TypeError(`keyFor(${kiosk}) must return a ${BEACON_PUBLIC_KEY_BYTES}-byte Uint8Array`);
    }
    const rssi = partial.rssiSum / partial.rssiN;
    const result = verifyDecodedBeacon(decoded, key, timeMs / 1000, { skewEpochs: this.#skewEpochs, rssi });
    if (!result.valid) return result;
    state.verified = { epochLow, count: partial.count, slots, beacon: result.beacon, rssiSum: partial.rssiSum, rssiN: partial.rssiN };
    return { valid: true, beacon: result.beacon, repeat: false };
  }

  #repeat(state: SourceState, known: VerifiedFrame, sample: BeaconSample): BeaconAssemblyResult {
    const nowEpoch = Math.floor(sample.timeMs / 1000 / known.beacon.periodS);
    const epochSkew = nowEpoch - known.beacon.epoch;
    if (Math.abs(epochSkew) > this.#skewEpochs) {
      state.verified = undefined;
      return fail(new WaymarkError('WAYMARK_ERR_BEACON_EPOCH', `frame epoch ${known.beacon.epoch}, phone epoch ${nowEpoch}`, {
        details: { kiosk: known.beacon.kiosk, epoch: known.beacon.epoch, nowEpoch, periodS: known.beacon.periodS, skewEpochs: this.#skewEpochs },
      }));
    }
    known.rssiSum += sample.rssi;
    known.rssiN += 1;
    known.beacon = { ...known.beacon, rssi: known.rssiSum / known.rssiN, epochSkew };
    return { valid: true, beacon: known.beacon, repeat: true };
  }

  #startPartial(state: SourceState, fragment: BeaconFragment, sample: BeaconSample): PartialFrame {
    const slots: (Uint8Array | undefined)[] = new Array(fragment.count).fill(undefined);
    slots[fragment.index] = sample.data.slice();
    const partial: PartialFrame = { count: fragment.count, slots, rssiSum: sample.rssi, rssiN: 1, lastMs: sample.timeMs };
    state.partials.set(fragment.epochLow, partial);
    while (state.partials.size > PARTIALS_PER_SOURCE) {
      let oldest = -1;
      let oldestMs = Infinity;
      for (const [k, p] of state.partials) if (k !== fragment.epochLow && p.lastMs < oldestMs) [oldest, oldestMs] = [k, p.lastMs];
      state.partials.delete(oldest);
    }
    return partial;
  }

  #source(source: string): SourceState {
    let state = this.#sources.get(source);
    if (state) {
      this.#sources.delete(source); // re-insert: the map's order is least recently heard first
    } else {
      state = { partials: new Map() };
    }
    this.#sources.set(source, state);
    while (this.#sources.size > this.#maxSources) this.#sources.delete(this.#sources.keys().next().value!);
    return state;
  }

  #prune(state: SourceState, timeMs: number): void {
    for (const [k, p] of state.partials) if (timeMs - p.lastMs > this.#maxPartialAgeMs) state.partials.delete(k);
  }
}

function fail(err: unknown): BeaconAssemblyResult {
  if (isWaymarkError(err)) return { valid: false, error: err };
  throw err;
}
