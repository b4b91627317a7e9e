/**
 * A virtual LE connection between two virtual HCI controllers: the hub makes one when a
 * central's LE Create Connection meets a peripheral's connectable advertising, and it
 * carries ACL data between them, re-fragmented to link-layer payloads as a real link does.
 */
import type { VirtualHciController } from './hci-controller.js';
import type { ConnectionTiming } from '../kiosk/radio/hci/packet.js';

/** What the air between two controllers does to a link's signal, read at every HCI Read RSSI. */
export interface LinkRadio {
  /** Mean RSSI of the link, dBm. */
  rssi: number;
  /** Standard deviation of Gaussian noise added to each reading, dB. */
  noiseDb: number;
}

/** One end of a link as its controller knows it. */
export interface LinkEnd {
  controller: VirtualHciController;
  handle: number;
  /** The address this end is known by on the link, MSB first, and its type (0 public, 1 random). */
  address: Uint8Array;
  addressType: number;
}

export interface LinkCounters {
  /** ACL packets and payload bytes that went from the central's host to the peripheral's, and back. */
  packetsToPeripheral: number;
  bytesToPeripheral: number;
  packetsToCentral: number;
  bytesToCentral: number;
}

/** Link-layer payload octets before LE Set Data Length (Core spec Vol 6 Part B 4.5.10). */
export const DEFAULT_LL_OCTETS = 27;
export const MAX_LL_OCTETS = 251;

let nextLinkId = 1;

export class VirtualLink {
  readonly id = nextLinkId++;
  readonly central: LinkEnd;
  readonly peripheral: LinkEnd;
  timing: ConnectionTiming;
  /** Link-layer payload octets the central and the peripheral send per packet. */
  readonly txOctets = { central: DEFAULT_LL_OCTETS, peripheral: DEFAULT_LL_OCTETS };
  readonly counters: LinkCounters = { packetsToPeripheral: 0, bytesToPeripheral: 0, packetsToCentral: 0, bytesToCentral: 0 };
  readonly #radio: () => LinkRadio;
  readonly #gaussian: () => number;
  #open = true;

  constructor(central: LinkEnd, peripheral: LinkEnd, timing: ConnectionTiming, radio: () => LinkRadio, gaussian: () => number) {
    this.central = central;
    this.peripheral = peripheral;
    this.timing = { ...timing };
    this.#radio = radio;
    this.#gaussian = gaussian;
  }

  get open(): boolean {
    return this.#open;
  }

  /** Tells both controllers the link is up: each sends its host LE Connection Complete. */
  establish(): void {
    this.central.controller.linkEstablished(this, 0);
    this.peripheral.controller.linkEstablished(this, 1);
  }

  endOf(controller: VirtualHciController): LinkEnd {
    return controller === this.central.controller ? this.central : this.peripheral;
  }

  peerOf(controller: VirtualHciController): LinkEnd {
    return controller === this.central.controller ? this.peripheral : this.central;
  }

  /** One RSSI reading as a controller would measure it on this link, dBm (-127..20). */
  readRssi(): number {
    const { rssi, noiseDb } = this.#radio();
    const value = Math.round(rssi + (noiseDb > 0 ? noiseDb * this.#gaussian() : 0));
    return Math.max(-127, Math.min(20, value));
  }

  /**
   * Carries one host ACL fragment from `from`'s side to the other host, cut into
   * link-layer payloads of the sender's tx octets. `first` says whether it starts an L2CAP PDU.
   */
  carry(from: VirtualHciController, first: boolean, data: Uint8Array): void {
    if (!this.#open) return;
    const toPeripheral = from === this.central.controller;
    const peer = toPeripheral ? this.peripheral : this.central;
    const octets = toPeripheral ? this.txOctets.central : this.txOctets.peripheral;
    if (toPeripheral) {
      this.counters.packetsToPeripheral++;
      this.counters.bytesToPeripheral += data.length;
    } else {
      this.counters.packetsToCentral++;
      this.counters.bytesToCentral += data.length;
    }
    for (let off = 0; off < data.length || off === 0; off += octets) {
      peer.controller.deliverAcl(peer.handle, first && off === 0, data.subarray(off, Math.min(data.length, off + octets)));
      if (data.length === 0) break;
    }
  }

  /**
   * Ends the link. The controller that ended it (null: the air, e.g. a supervision
   * timeout) gets reason 0x16 (local host), the other `reason`. `notify` false skips the
   * ending controller's own event (it was reset).
   */
  close(by: VirtualHciController | null, reason: number, notifyEnder = true): void {
    if (!this.#open) return;
    this.#open = false;
    for (const end of [this.central, this.peripheral]) {
      const ender = end.controller === by;
      if (ender && !notifyEnder) end.controller.linkClosed(this, null);
      else end.controller.linkClosed(this, ender ? 0x16 : reason);
    }
  }
}
