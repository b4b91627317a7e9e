/**
 * The in-memory registry of virtual HCI controllers, by device id (hci0, hci1, ..), and
 * the air between them: a virtual socket binds to a controller here, a test or the
 * virtual venue puts AirPackets on air for the controllers to hear, and a central's LE
 * Create Connection meets a peripheral's connectable advertising as a VirtualLink.
 */
import type { AirPacket } from './air.js';
import { VirtualHciController, type VirtualHciControllerOptions } from './hci-controller.js';
import { VirtualLink, type LinkRadio } from './hci-link.js';
import { HciStatus } from '../kiosk/radio/hci/packet.js';
import { SimRandom } from './rng.js';

/** One open link as the hub lists it. */
export interface LinkInfo {
  link: VirtualLink;
  central: { devId: number | undefined; handle: number };
  peripheral: { devId: number | undefined; handle: number };
}

export interface VirtualHciHubOptions {
  /** RSSI of links (and advertising heard by `exchange`) between controllers with no path set, dBm. Default -60. */
  defaultRssi?: number;
  /** Seed of the link RSSI noise. */
  seed?: number | string;
}

type Controller = VirtualHciController;

export interface HciDeviceInfo {
  devId: number;
  devUp: boolean;
}

export class VirtualHciHub {
  readonly #controllers = new Map<number, VirtualHciController>();
  readonly #unsubscribe = new Map<Controller, () => void>();
  readonly #paths = new Map<Controller, Map<Controller, LinkRadio>>();
  readonly #links = new Set<VirtualLink>();
  readonly #rng: SimRandom;
  #defaultRssi: number;
  #matchScheduled = false;

  constructor(opts: VirtualHciHubOptions = {}) {
    this.#defaultRssi = opts.defaultRssi ?? -60;
    this.#rng = new SimRandom(opts.seed ?? 'hci-hub');
  }

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
    this.#watch(c);
    return c;
  }

  get(devId: number): VirtualHciController | undefined {
    return this.#controllers.get(devId);
  }

  /** Removes a controller; its connections drop (the peers see a supervision timeout). */
  remove(devId: number): boolean {
    const c = this.#controllers.get(devId);
    if (!c) return false;
    this.#controllers.delete(devId);
    this.#unwatch(c);
    return true;
  }

  /** Removes every controller (between tests). */
  clear(): void {
    for (const c of this.#controllers.values()) this.#unwatch(c);
    this.#controllers.clear();
  }

  // ---- links --------------------------------------------------------------------------

  /**
   * Sets what the air between two controllers (or device ids) does: the mean RSSI of
   * links between them and the noise of each reading, for open links and later ones.
   * `exchange` also uses this RSSI for advertising heard between the two.
   */
  setLinkRssi(a: Controller | number, b: Controller | number, rssi: number, noiseDb = 0): void {
    if (!Number.isFinite(rssi)) throw new RangeError(`rssi must be a number, got ${rssi}`);
    if (!(noiseDb >= 0)) throw new RangeError(`noiseDb must be >= 0, got ${noiseDb}`);
    const ca = this.#resolve(a);
    const cb = this.#resolve(b);
    const radio = { rssi, noiseDb };
    for (const [x, y] of [[ca, cb], [cb, ca]]) {
      let m = this.#paths.get(x);
      if (!m) this.#paths.set(x, (m = new Map()));
      m.set(y, radio);
    }
  }

  /** The RSSI and noise between two controllers. */
  linkRadio(a: Controller, b: Controller): LinkRadio {
    return this.#paths.get(a)?.get(b) ?? { rssi: this.#defaultRssi, noiseDb: 0 };
  }

  /** Open links, with the device ids of both ends. */
  links(): LinkInfo[] {
    return [...this.#links].map((link) => ({
      link,
      central: { devId: this.#devIdOf(link.central.controller), handle: link.central.handle },
      peripheral: { devId: this.#devIdOf(link.peripheral.controller), handle: link.peripheral.handle },
    }));
  }

  /** Ends a link as if the signal were lost: both hosts get Disconnection Complete, reason 0x08 (connection timeout). */
  dropLink(link: VirtualLink): void {
    link.close(null, HciStatus.CONNECTION_TIMEOUT);
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
        const heardAt = this.#paths.get(sender)?.get(receiver)?.rssi ?? rssi;
        reports += receiver.hearAll(sender.onAir(time, heardAt, receiver.scanning().active));
      }
    }
    return reports;
  }

  #resolve(c: Controller | number): Controller {
    if (typeof c !== 'number') return c;
    const found = this.#controllers.get(c);
    if (!found) throw new RangeError(`no controller hci${c}`);
    return found;
  }

  #devIdOf(c: Controller): number | undefined {
    for (const [id, x] of this.#controllers) if (x === c) return id;
    return undefined;
  }

  #watch(c: Controller): void {
    const schedule = () => this.#scheduleMatch();
    const onConnection = (info: { link: VirtualLink }) => this.#links.add(info.link);
    const onDisconnection = () => {
      for (const link of this.#links) if (!link.open) this.#links.delete(link);
    };
    c.on('initiating', schedule);
    c.on('advertising', schedule);
    c.on('connection', onConnection);
    c.on('disconnection', onDisconnection);
    this.#unsubscribe.set(c, () => {
      c.off('initiating', schedule);
      c.off('advertising', schedule);
      c.off('connection', onConnection);
      c.off('disconnection', onDisconnection);
    });
    if (c.initiating || c.connectable) schedule();
  }

  #unwatch(c: Controller): void {
    c.dropConnections(true);
    for (const link of this.#links) if (!link.open) this.#links.delete(link);
    this.#unsubscribe.get(c)?.();
    this.#unsubscribe.delete(c);
    this.#paths.delete(c);
    for (const m of this.#paths.values()) m.delete(c);
  }

  /** Matching runs after the current command is answered, so Command Complete/Status reaches the host before LE Connection Complete. */
  #scheduleMatch(): void {
    if (this.#matchScheduled) return;
    this.#matchScheduled = true;
    queueMicrotask(() => {
      this.#matchScheduled = false;
      this.#match();
    });
  }

  /** Connects every initiating central whose peer is advertising connectable now. */
  #match(): void {
    const all = [...this.#controllers.values()];
    for (const central of all) {
      const request = central.initiating;
      if (!request || !central.powered) continue;
      const peripheral = all.find((p) => {
        if (p === central || !p.connectable) return false;
        const { address, addressType } = p.advertisingAddress();
        return addressType === request.peerAddressType && Buffer.compare(address, request.peerAddress) === 0;
      });
      if (!peripheral) continue;
      const { address, addressType } = peripheral.advertisingAddress();
      const link = new VirtualLink(
        { controller: central, handle: central.allocateHandle(), address: request.ownAddress, addressType: request.ownAddressType },
        { controller: peripheral, handle: peripheral.allocateHandle(), address, addressType },
        request.timing,
        () => this.linkRadio(central, peripheral),
        () => this.#rng.normal(),
      );
      link.establish();
    }
  }

  #freeId(): number {
    let id = 0;
    while (this.#controllers.has(id)) id++;
    return id;
  }
}

/** The process-wide hub the drop-in socket class binds through (noble and bleno construct sockets without arguments). */
export const defaultHciHub = new VirtualHciHub();
