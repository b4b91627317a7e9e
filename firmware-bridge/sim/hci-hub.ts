/**
 * The in-memory registry of virtual HCI controllers, by device id (hci0, hci1, ..), and
 * the air between them: a virtual socket binds to a controller here, and a test or the
 * virtual venue puts AirPackets on air for the controllers to hear.
 */
import type { AirPacket } from './air.js';
import { VirtualHciController, type VirtualHciControllerOptions } from './hci-controller.js';

export interface HciDeviceInfo {
  devId: number;
  devUp: boolean;
}

export class VirtualHciHub {
  readonly #controllers = new Map<number, VirtualHciController>();

  /**
   * Registers a controller as device `devId` (default: the lowest free id). Without a
   * controller one is made with the public address b8:27:eb:00:00:<devId+1>.
   */
  add(devId?: number, controller?: VirtualHciController | VirtualHciControllerOptions): VirtualHciController {
    const id = devId ?? this.#freeId();
    if (!Number.isInteger(id) || id < 0 || id > 0xffff) throw new RangeError(`devId must be an integer 0..65535, got ${id}`);
    if (this.#controllers.has(id)) throw new RangeError(`hci${id} is already registered`);
    const c = controller instanceof VirtualHciController
      ? controller
      : new VirtualHciController({ address: Uint8Array.from([0xb8, 0x27, 0xeb, 0x00, (id + 1) >> 8, (id + 1) & 0xff]), ...controller });
    this.#controllers.set(id, c);
    return c;
  }

  get(devId: number): VirtualHciController | undefined {
    return this.#controllers.get(devId);
  }

  remove(devId: number): boolean {
    return this.#controllers.delete(devId);
  }

  /** Removes every controller (between tests). */
  clear(): void {
    this.#controllers.clear();
  }

  /** The device a socket binds to: `devId`, or without one the lowest-numbered device that is up (as the kernel picks). */
  select(devId: number | undefined): { devId: number; controller: VirtualHciController } | undefined {
    if (devId !== undefined) {
      const controller = this.#controllers.get(devId);
      return controller && { devId, controller };
    }
    const ids = [...this.#controllers.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      const controller = this.#controllers.get(id)!;
      if (controller.powered) return { devId: id, controller };
    }
    return undefined;
  }

  devices(): HciDeviceInfo[] {
    return [...this.#controllers.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([devId, c]) => ({ devId, devUp: c.powered }));
  }

  /** Puts packets on air for every registered controller (or the listed ones) to hear; returns the reports made. */
  transmit(packets: Iterable<AirPacket>, to?: Iterable<VirtualHciController>): number {
    const listeners = to ? [...to] : [...this.#controllers.values()];
    let reports = 0;
    for (const p of packets) for (const c of listeners) if (c.hear(p)) reports++;
    return reports;
  }

  /**
   * One advertising event of every advertising controller, heard by every other
   * controller at `rssi` (scan responses go to active scanners). Returns the reports made.
   */
  exchange(time: number, rssi = -60): number {
    const all = [...this.#controllers.values()];
    let reports = 0;
    for (const sender of all) {
      for (const receiver of all) {
        if (receiver === sender) continue;
        reports += receiver.hearAll(sender.onAir(time, rssi, receiver.scanning().active));
      }
    }
    return reports;
  }

  #freeId(): number {
    let id = 0;
    while (this.#controllers.has(id)) id++;
    return id;
  }
}

/** The process-wide hub the drop-in socket class binds through (noble and bleno construct sockets without arguments). */
export const defaultHciHub = new VirtualHciHub();
