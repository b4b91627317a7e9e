/**
 * The simulated radio of demo mode and tests: a virtual venue whose traffic goes on air
 * into a virtual HCI controller, which the real noble stack reads through the virtual
 * HCI socket. Optionally records the controller's advertising reports as btsnoop.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Scanner } from '../core/ports.js';
import { VirtualVenue, type VirtualVenueOptions } from './venue.js';
import { defaultHciHub } from './hci-hub.js';
import type { VirtualHciController } from './hci-controller.js';
import { BtsnoopWriter } from '../kiosk/radio/hci/btsnoop.js';
import { encodeAdvertisingReportEvent } from './air.js';
import { createNobleScanner } from '../kiosk/radio/noble-scanner.js';
import { createBlenoPeripheral, type BlenoPeripheral } from '../kiosk/radio/bleno-advertiser.js';
import type { RadioAdapters, RadioContext } from '../kiosk/radio/adapters.js';
import { createSerialRadio, type SerialRadio } from '../firmware-bridge/radio/serial-radio.js';
import { SimulatedBoard } from './simulated-board.js';
import { VirtualHciSocket } from './hci-socket.js';

export interface VirtualRadioOptions {
  clock: Clock;
  seed: number;
  venue?: VirtualVenueOptions;
  /** Write the venue's traffic as received by the controller to this btsnoop file. */
  capturePath?: string;
  /** How often simulated traffic is put on air, ms of wall time. Default 20. */
  pumpIntervalMs?: number;
  /**
   * How the venue's traffic reaches the kiosk: 'hci' (default) a virtual HCI controller read
   * by noble; 'serial' a simulated co-processor on a real pty read by the serial radio.
   */
  transport?: 'hci' | 'serial';
  /** Where the scanner logs genuine radio warnings. */
  logger?: Logger;
}

export interface VirtualRadio {
  readonly scanner: Scanner;
  readonly venue: VirtualVenue;
  readonly controller: VirtualHciController;
  readonly deviceId: number;
  /** With transport 'serial': the kiosk's serial radio and the simulated board behind the pty. */
  readonly serial?: { radio: SerialRadio; board: SimulatedBoard };
  /** Start putting the venue's traffic on air. */
  start(): void;
  /** Put everything up to `until` on air now (tests, accelerated runs). */
  pump(until?: number): number;
  stop(): Promise<void>;
  packetsOnAir(): number;
}

export async function createVirtualRadio(opts: VirtualRadioOptions): Promise<VirtualRadio> {
  const controller = defaultHciHub.add();
  const deviceId = defaultHciHub.devices().find((d) => defaultHciHub.get(d.devId) === controller)!.devId;
  const venue = new VirtualVenue({ startWithOccupants: true, ...opts.venue, seed: opts.seed, startMs: opts.venue?.startMs ?? opts.clock.now() });
  const board = opts.transport === 'serial' ? await SimulatedBoard.start({ clock: opts.clock }) : undefined;
  const serial = board ? await createSerialRadio({ path: board.path!, clock: opts.clock }).catch(async (err: unknown) => {
    await board.stop();
    throw err;
  }) : undefined;
  const scanner = serial ? serial.scanner : await createNobleScanner({ deviceId, socket: VirtualHciSocket, clock: opts.clock, logger: opts.logger });
  const capture = opts.capturePath ? await BtsnoopWriter.create(opts.capturePath) : undefined;
  let timer: NodeJS.Timeout | undefined;
  let onAir = 0;

  const pump = (until = opts.clock.now()): number => {
    const packets = venue.packetsUntil(until);
    if (packets.length === 0) return 0;
    if (capture) {
      for (const p of packets) if (p.data.length <= 31) capture.writeHciEvent(p.time, encodeAdvertisingReportEvent(p));
    }
    onAir += packets.length;
    if (board) return packets.filter((p) => board.hear(p)).length;
    return controller.hearAll(packets);
  };

  return {
    scanner,
    venue,
    controller,
    deviceId,
    ...(serial && board ? { serial: { radio: serial, board } } : {}),
    start() {
      if (timer) return;
      timer = setInterval(() => pump(), opts.pumpIntervalMs ?? 20);
    },
    pump,
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await capture?.close();
      await serial?.close();
      await board?.stop();
      defaultHciHub.remove(deviceId);
    },
    packetsOnAir: () => onAir,
  };
}

/**
 * The simulated venue as the kiosk daemon's radio (`radio.adapter: "virtual"`, and the demo):
 * the virtual radio, already putting the venue on air, and a bleno peripheral on the
 * kiosk's own virtual controller when the beacon is on.
 */
export async function openVirtualRadio(ctx: RadioContext, opts: Partial<Omit<VirtualRadioOptions, 'clock'>> = {}): Promise<RadioAdapters & { virtual: VirtualRadio }> {
  const radio = await createVirtualRadio({ seed: 1, logger: ctx.logger, ...opts, clock: ctx.clock });
  let peripheral: BlenoPeripheral | undefined;
  try {
    if (ctx.config.beacon.enabled && !radio.serial) peripheral = createBlenoPeripheral({ deviceId: radio.deviceId, socket: VirtualHciSocket });
  } catch (err) {
    await radio.scanner.close();
    await radio.stop();
    throw err;
  }
  radio.start();
  return {
    virtual: radio,
    scanner: radio.scanner,
    advertiser: radio.serial ? (ctx.config.beacon.enabled ? radio.serial.radio.advertiser : undefined) : peripheral,
    peripheral,
    metrics: radio.serial?.radio.metricSources() ?? [],
    ...(radio.serial ? { onTap: (listener: Parameters<SerialRadio['onTap']>[0]) => radio.serial!.radio.onTap(listener) } : {}),
    async close() {
      await peripheral?.close();
      await radio.stop();
    },
  };
}
