/**
 * The kiosk's radio as the daemon sees it: a Scanner, optionally an Advertiser (a bleno
 * GATT peripheral on the same HCI adapter, or the co-processor's), their metrics and how to
 * close them. `openRadio` opens the configured one on real hardware; the simulated radio is
 * passed in by whoever may use the simulator (the CLI, tests).
 */
import type { Clock } from '../../core/clock.js';
import type { KioskConfig } from '../../core/config.js';
import { WaymarkError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/log.js';
import type { Advertiser, Scanner } from '../../core/ports.js';
import type { MetricSource } from '../metrics.js';
import { createBlenoPeripheral, type BlenoPeripheral } from './bleno-advertiser.js';
import { createNobleScanner } from './noble-scanner.js';
import { createSerialRadio, type SerialTap } from '../../firmware-bridge/radio/serial-radio.js';

export interface RadioAdapters {
  scanner: Scanner;
  /** Present when the beacon is enabled and the radio can advertise. */
  advertiser?: Advertiser;
  /** The advertiser as a GATT peripheral (the BLE tap check-in), when it is one. */
  peripheral?: BlenoPeripheral;
  metrics: MetricSource[];
  /** NFC taps from a co-processor that reads them. */
  onTap?: (listener: (tap: SerialTap) => void) => () => void;
  /** Closes what the scanner's own close() does not (the advertiser, a simulator's pump). */
  close(): Promise<void>;
}

export interface RadioContext {
  config: KioskConfig;
  clock: Clock;
  logger?: Logger;
}

/** Opens a simulated radio for `radio.adapter: "virtual"` (the simulator provides it). */
export type SimulatedRadioOpener = (ctx: RadioContext) => Promise<RadioAdapters>;

/** The configured radio: the HCI adapter through noble and bleno, or the serial co-processor. */
export async function openRadio(ctx: RadioContext, simulated?: SimulatedRadioOpener): Promise<RadioAdapters> {
  const { config, clock } = ctx;
  const logger = ctx.logger ?? silentLogger;
  const { radio } = config;
  switch (radio.adapter) {
    case 'hci': {
      const scanner = createNobleScanner({ deviceId: radio.hciDevice, socket: 'native', clock, logger });
      let peripheral: BlenoPeripheral | undefined;
      try {
        if (config.beacon.enabled) peripheral = createBlenoPeripheral({ deviceId: radio.hciDevice, socket: 'native' });
      } catch (err) {
        await scanner.close();
        throw err;
      }
      return { scanner, advertiser: peripheral, peripheral, metrics: [], close: async () => void (await peripheral?.close()) };
    }
    case 'serial': {
      // re-opens with backoff on unplug; the Kiosk closes it through its scanner
      const serial = await createSerialRadio({ path: radio.serialPort, baudRate: radio.baudRate, clock });
      serial.on('link', (up) => (up
        ? logger.info({ port: radio.serialPort }, 'co-processor link up')
        : logger.warn({ port: radio.serialPort }, 'co-processor link down; re-opening')));
      return {
        scanner: serial.scanner,
        // the board advertises the beacon (in one extended PDU when it can)
        advertiser: config.beacon.enabled ? serial.advertiser : undefined,
        metrics: serial.metricSources(),
        onTap: (listener) => serial.onTap(listener),
        close: async () => {},
      };
    }
    case 'virtual':
      if (!simulated) {
        throw new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', 'radio.adapter "virtual" is the simulated venue, which only the waymark CLI and the tests provide');
      }
      return simulated(ctx);
  }
}
