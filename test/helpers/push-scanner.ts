/**
 * A Scanner port for unit tests of the parts above the radio: reports are pushed in by
 * the test. Radio paths themselves are tested through the virtual HCI controller.
 */
import { TypedEmitter } from '../../core/events.js';
import type { AdvertisingReport, Scanner, ScannerEvents, ScannerStats } from '../../core/ports.js';

export class PushScanner extends TypedEmitter<ScannerEvents> implements Scanner {
  readonly name = 'test/push';
  running = false;
  #reports = 0;

  async start(): Promise<void> {
    this.running = true;
    this.emit('state', 'poweredOn');
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  async close(): Promise<void> {
    this.running = false;
  }

  push(report: Partial<AdvertisingReport> & Pick<AdvertisingReport, 'address' | 'rssi' | 'time'>): void {
    this.#reports++;
    this.emit('report', {
      addressType: 'random', addressKind: 'resolvable', connectable: true, serviceData: [], ...report,
    });
  }

  stats(): ScannerStats {
    return { reports: this.#reports, dropped: 0, restarts: 0, pruned: 0 };
  }
}
