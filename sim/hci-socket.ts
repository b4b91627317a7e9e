/**
 * A drop-in replacement for @abandonware/bluetooth-hci-socket that binds to a virtual HCI
 * controller by device id instead of a kernel socket, so noble's and bleno's own HCI code
 * runs unchanged in tests and in demo mode.
 */
import { EventEmitter } from 'node:events';
import type { HciHostLink, VirtualHciController } from './hci-controller.js';
import { defaultHciHub, type VirtualHciHub } from './hci-hub.js';
import { filterPasses, parseSocketFilter, type HciSocketFilter } from '../kiosk/radio/hci/packet.js';
import type { HciDevice, HciSocketLike } from '../kiosk/radio/hci/socket.js';

function errnoError(code: string, message: string, syscall: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}, ${message}`);
  err.code = code;
  err.syscall = syscall;
  return err;
}

/** The largest number of packets a socket holds for a host that is not reading (like a full kernel socket buffer). */
const MAX_QUEUED = 1 << 20;

export class VirtualHciSocket extends EventEmitter implements HciSocketLike {
  /** The hub this class binds through; subclasses made by virtualHciSocketClass() use another. */
  static hub: VirtualHciHub = defaultHciHub;

  #controller: VirtualHciController | null = null;
  #devId: number | null = null;
  #detach: (() => void) | null = null;
  #filter: HciSocketFilter | null = null;
  #started = false;
  #queue: Buffer[] = [];
  #scheduled = false;
  /** Packets lost because the host was not reading and the queue was full. */
  overflowed = 0;

  readonly #link: HciHostLink = {
    deliver: (packet) => this.#enqueue(packet),
    accepts: (packet) => filterPasses(this.#filter, packet),
  };

  get #hub(): VirtualHciHub {
    return (this.constructor as typeof VirtualHciSocket).hub;
  }

  /** The controller this socket is bound to, if any. */
  get controller(): VirtualHciController | null {
    return this.#controller;
  }

  get devId(): number | null {
    return this.#devId;
  }

  bindRaw(devId?: number): number {
    return this.#bind(devId, 'bindRaw');
  }

  /** The user channel is exclusive on Linux; here it binds like a raw socket. */
  bindUser(devId?: number): number {
    return this.#bind(devId, 'bindUser');
  }

  /** The management channel (bleno's mgmt.js loads long-term keys there): accepted and ignored. */
  bindControl(): number {
    return 0;
  }

  start(): void {
    this.#started = true;
    this.#schedule();
  }

  stop(): void {
    this.#started = false;
  }

  /** Detaches from the controller and drops anything queued (not in the native API). */
  close(): void {
    this.#started = false;
    this.#detach?.();
    this.#detach = null;
    this.#controller = null;
    this.#queue = [];
  }

  write(data: Buffer): void {
    const controller = this.#controller;
    if (!controller) {
      this.#emitErrorLater(errnoError('EBADFD', 'File descriptor in bad state', 'write'));
    } else if (!controller.powered) {
      this.#emitErrorLater(errnoError('ENETDOWN', 'Network is down', 'write'));
    } else {
      controller.receive(this.#link, data);
    }
  }

  setFilter(filter: Buffer): void {
    this.#filter = parseSocketFilter(filter);
  }

  isDevUp(): boolean {
    return this.#controller?.powered ?? false;
  }

  getDeviceList(): HciDevice[] {
    return this.#hub.devices().map((d) => ({
      devId: d.devId, devUp: d.devUp, idVendor: null, idProduct: null, busNumber: null, deviceAddress: null,
    }));
  }

  reset(): void {}

  cleanup(): void {}

  #bind(devId: number | undefined, syscall: string): number {
    const id = devId === undefined || devId === null || Number.isNaN(devId) ? undefined : devId;
    const found = this.#hub.select(id);
    if (!found) throw errnoError('ENODEV', `No such device${id === undefined ? '' : ` hci${id}`}`, syscall);
    this.#detach?.();
    this.#controller = found.controller;
    this.#devId = found.devId;
    this.#detach = found.controller.attach(this.#link);
    return found.devId;
  }

  #enqueue(packet: Buffer): void {
    if (this.#queue.length >= MAX_QUEUED) {
      this.overflowed++;
      return;
    }
    this.#queue.push(packet);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || !this.#started || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  /** Emits what was queued before this turn; what the handlers cause goes out on the next turn, as from a real socket. */
  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    let next = 0;
    try {
      while (next < batch.length && this.#started) this.emit('data', batch[next++]);
    } finally {
      // a handler threw or the host stopped reading: keep the rest, in order
      if (next < batch.length) this.#queue = batch.slice(next).concat(this.#queue);
      this.#schedule();
    }
  }

  #emitErrorLater(err: Error): void {
    setImmediate(() => this.emit('error', err));
  }
}

/** A socket class bound to its own hub (for tests that want isolation from the default hub). */
export function virtualHciSocketClass(hub: VirtualHciHub): typeof VirtualHciSocket {
  return class extends VirtualHciSocket {
    static override hub = hub;
  };
}
