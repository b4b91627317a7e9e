/**
 * A phone listening for kiosk beacons: any Scanner feeds the phone-side BeaconAssembler,
 * which reassembles fragments and verifies them against known kiosk keys. Used by
 * `waymark visitor scan` and by the demo's simulated phone next to the kiosk.
 */
import type { Scanner } from '../core/ports.js';
import { BeaconAssembler, type BeaconKeyLookup } from '../beacon/index.js';

export interface VerifiedPosition {
  kiosk: string;
  geohash: string;
  epoch: number;
  rssi: number | undefined;
  time: number;
}

export interface BeaconListenerStats {
  reports: number;
  verified: number;
  refused: Record<string, number>;
  last: VerifiedPosition | null;
}

export class BeaconListener {
  readonly #assembler: BeaconAssembler;
  readonly #scanner: Scanner;
  readonly #onPosition: ((p: VerifiedPosition) => void) | undefined;
  #stats: BeaconListenerStats = { reports: 0, verified: 0, refused: {}, last: null };

  constructor(opts: { scanner: Scanner; keyFor: BeaconKeyLookup; onPosition?: (p: VerifiedPosition) => void }) {
    this.#scanner = opts.scanner;
    this.#assembler = new BeaconAssembler({ keyFor: opts.keyFor });
    this.#onPosition = opts.onPosition;
    this.#scanner.on('report', (report) => {
      this.#stats.reports++;
      for (const result of this.#assembler.feedReport(report)) {
        if (result.valid) {
          if (result.repeat) continue;
          this.#stats.verified++;
          const b = result.beacon;
          const position = { kiosk: b.kiosk, geohash: b.geohash, epoch: b.epoch, rssi: b.rssi, time: report.time };
          this.#stats.last = position;
          this.#onPosition?.(position);
        } else if (result.error.code !== 'WAYMARK_ERR_BEACON_INCOMPLETE') {
          this.#stats.refused[result.error.code] = (this.#stats.refused[result.error.code] ?? 0) + 1;
        }
      }
    });
  }

  stats(): BeaconListenerStats {
    return structuredClone(this.#stats);
  }
}
