/**
 * A virtual Bluetooth LE controller that speaks real HCI H4 bytes: it answers every
 * command noble and bleno send, turns AirPackets it hears while scanning into LE
 * Advertising Report events, keeps what its host advertises for the other side of the
 * virtual air, and carries ACL data over the connections the hub makes (hci-link.ts).
 */
import { TypedEmitter } from '../core/events.js';
import { AdvEventType, type AirPacket } from './air.js';
import { MAX_LL_OCTETS, type VirtualLink } from './hci-link.js';
import { AclBoundary, HciPacketType, HciStatus, Opcode, type ConnectionTiming } from '../kiosk/radio/hci/packet.js';
import { aclDataPacket, commandCompleteEvent, commandStatusEvent, disconnectionCompleteEvent, leConnectionCompleteEvent, leConnectionUpdateCompleteEvent, leDataLengthChangeEvent, leReadRemoteFeaturesCompleteEvent, numberOfCompletedPacketsEvent, writeLeAdvertisingReport } from '../kiosk/radio/hci/writer.js';

/** One host attached to the controller (a virtual HCI socket). */
export interface HciHostLink {
  /** Called synchronously with each packet for this host; a socket queues it and emits later. */
  deliver(packet: Buffer): void;
  /** Whether this host's socket filter lets the packet through. */
  accepts(packet: Uint8Array): boolean;
}

export interface AdvertisingState {
  enabled: boolean;
  /** Advertising_Type: 0 ADV_IND, 1 ADV_DIRECT_IND (high duty), 2 ADV_SCAN_IND, 3 ADV_NONCONN_IND, 4 ADV_DIRECT_IND (low duty). */
  advertisingType: number;
  /** Advertising_Interval_Min/Max in units of 0.625 ms. */
  intervalMin: number;
  intervalMax: number;
  /** intervalMin in milliseconds. */
  intervalMs: number;
  /** 0 = public, 1 = random (Own_Address_Type). */
  ownAddressType: number;
  channelMap: number;
  filterPolicy: number;
  /** The address the advertisements go out with (public or the random address), MSB first. */
  address: Uint8Array;
  data: Uint8Array;
  scanResponse: Uint8Array;
}

export interface ScanState {
  enabled: boolean;
  filterDuplicates: boolean;
  /** LE_Scan_Type: false = passive, true = active (scan requests are sent, scan responses heard). */
  active: boolean;
  /** LE_Scan_Interval / LE_Scan_Window in units of 0.625 ms. */
  interval: number;
  window: number;
  ownAddressType: number;
  filterPolicy: number;
}

export interface ControllerCounters {
  commands: number;
  unknownCommands: number;
  reports: number;
  /** Packets not reported because the duplicate filter was on and had seen them. */
  duplicatesFiltered: number;
  /** Packets heard while not scanning (or with reports masked). */
  notScanning: number;
  /** AirPackets with more than 31 bytes of data (not legacy advertising). */
  oversize: number;
  /** ACL data packets the hosts wrote that went on a link, and that came off a link to the hosts. */
  aclFromHost: number;
  aclToHost: number;
  /** ACL data packets the hosts wrote for no open connection, or malformed ones. */
  aclDropped: number;
}

/** What LE Create Connection asked for while the controller is initiating. */
export interface ConnectionRequest {
  /** The peer to connect to, MSB first, and its type (0 public, 1 random). */
  peerAddress: Uint8Array;
  peerAddressType: number;
  /** The address this controller will be known by on the link, and its type. */
  ownAddress: Uint8Array;
  ownAddressType: number;
  timing: ConnectionTiming;
}

/** One open connection as a controller sees it. */
export interface ConnectionInfo {
  handle: number;
  /** 0 = central (this controller initiated), 1 = peripheral. */
  role: 0 | 1;
  peerAddress: Uint8Array;
  peerAddressType: number;
  timing: ConnectionTiming;
  link: VirtualLink;
}

export type ControllerEvents = {
  /** Every command the controller answered, after answering it. */
  command: (opcode: number, params: Uint8Array, status: number) => void;
  advertising: (state: AdvertisingState) => void;
  scanning: (state: ScanState) => void;
  /** The host started (request) or stopped (null) initiating a connection. */
  initiating: (request: ConnectionRequest | null) => void;
  connection: (info: ConnectionInfo) => void;
  disconnection: (handle: number, reason: number) => void;
  /** An ACL data packet as the host wrote it ('tx') or as the controller sent it to the host ('rx'). */
  acl: (direction: 'tx' | 'rx', packet: Uint8Array) => void;
};

export interface VirtualHciControllerOptions {
  /** The public address (BD_ADDR), `aa:bb:..` text or 6 bytes MSB first. */
  address?: Uint8Array;
  /** HCI_Version reported by Read Local Version (default 0x09, Core 5.0). Below 6 noble calls the adapter unsupported. */
  hciVersion?: number;
  /** Capacity of the duplicate filter; real controllers keep a small list and forget. */
  duplicateFilterSize?: number;
}

/** 0xFFFF is the company identifier the Bluetooth SIG keeps for tests. */
const MANUFACTURER_TEST = 0xffff;
const DEFAULT_EVENT_MASK_BIT61 = false; // after reset, LE Meta (bit 61) is masked until the host sets it
const LE_MASK_ADV_REPORT = 0x02;
const LE_MASK_CONNECTION_COMPLETE = 0x01;
const LE_MASK_CONNECTION_UPDATE_COMPLETE = 0x04;
const LE_MASK_READ_REMOTE_FEATURES_COMPLETE = 0x08;
const LE_MASK_DATA_LENGTH_CHANGE = 0x40;
/** The first connection handle a controller hands out (Linux controllers typically start here). */
const FIRST_HANDLE = 0x0040;
/** LE ACL data packets the controller buffers, as LE Read Buffer Size reports them. */
const LE_ACL_MAX_LENGTH = 0xfb;

/** Commands are data: name, parameter length and whether they answer with Command Complete or Command Status. */
const COMMANDS = new Map<number, { name: string; params: number; reply: 'complete' | 'status' }>([
  [Opcode.DISCONNECT, { name: 'Disconnect', params: 3, reply: 'status' }],
  [Opcode.READ_REMOTE_VERSION, { name: 'Read Remote Version Information', params: 2, reply: 'status' }],
  [Opcode.SET_EVENT_MASK, { name: 'Set Event Mask', params: 8, reply: 'complete' }],
  [Opcode.RESET, { name: 'Reset', params: 0, reply: 'complete' }],
  [Opcode.READ_LE_HOST_SUPPORTED, { name: 'Read LE Host Supported', params: 0, reply: 'complete' }],
  [Opcode.WRITE_LE_HOST_SUPPORTED, { name: 'Write LE Host Supported', params: 2, reply: 'complete' }],
  [Opcode.READ_LOCAL_VERSION, { name: 'Read Local Version Information', params: 0, reply: 'complete' }],
  [Opcode.READ_LOCAL_SUPPORTED_COMMANDS, { name: 'Read Local Supported Commands', params: 0, reply: 'complete' }],
  [Opcode.READ_LOCAL_SUPPORTED_FEATURES, { name: 'Read Local Supported Features', params: 0, reply: 'complete' }],
  [Opcode.READ_BUFFER_SIZE, { name: 'Read Buffer Size', params: 0, reply: 'complete' }],
  [Opcode.READ_BD_ADDR, { name: 'Read BD_ADDR', params: 0, reply: 'complete' }],
  [Opcode.READ_RSSI, { name: 'Read RSSI', params: 2, reply: 'complete' }],
  [Opcode.LE_SET_EVENT_MASK, { name: 'LE Set Event Mask', params: 8, reply: 'complete' }],
  [Opcode.LE_READ_BUFFER_SIZE, { name: 'LE Read Buffer Size', params: 0, reply: 'complete' }],
  [Opcode.LE_READ_LOCAL_SUPPORTED_FEATURES, { name: 'LE Read Local Supported Features', params: 0, reply: 'complete' }],
  [Opcode.LE_SET_RANDOM_ADDRESS, { name: 'LE Set Random Address', params: 6, reply: 'complete' }],
  [Opcode.LE_SET_ADVERTISING_PARAMETERS, { name: 'LE Set Advertising Parameters', params: 15, reply: 'complete' }],
  [Opcode.LE_READ_ADVERTISING_CHANNEL_TX_POWER, { name: 'LE Read Advertising Channel Tx Power', params: 0, reply: 'complete' }],
  [Opcode.LE_SET_ADVERTISING_DATA, { name: 'LE Set Advertising Data', params: 32, reply: 'complete' }],
  [Opcode.LE_SET_SCAN_RESPONSE_DATA, { name: 'LE Set Scan Response Data', params: 32, reply: 'complete' }],
  [Opcode.LE_SET_ADVERTISE_ENABLE, { name: 'LE Set Advertising Enable', params: 1, reply: 'complete' }],
  [Opcode.LE_SET_SCAN_PARAMETERS, { name: 'LE Set Scan Parameters', params: 7, reply: 'complete' }],
  [Opcode.LE_SET_SCAN_ENABLE, { name: 'LE Set Scan Enable', params: 2, reply: 'complete' }],
  [Opcode.LE_CREATE_CONNECTION, { name: 'LE Create Connection', params: 25, reply: 'status' }],
  [Opcode.LE_CREATE_CONNECTION_CANCEL, { name: 'LE Create Connection Cancel', params: 0, reply: 'complete' }],
  [Opcode.LE_READ_WHITE_LIST_SIZE, { name: 'LE Read White List Size', params: 0, reply: 'complete' }],
  [Opcode.LE_CLEAR_WHITE_LIST, { name: 'LE Clear White List', params: 0, reply: 'complete' }],
  [Opcode.LE_CONNECTION_UPDATE, { name: 'LE Connection Update', params: 14, reply: 'status' }],
  [Opcode.LE_READ_REMOTE_FEATURES, { name: 'LE Read Remote Features', params: 2, reply: 'status' }],
  [Opcode.LE_START_ENCRYPTION, { name: 'LE Start Encryption', params: 28, reply: 'status' }],
  [Opcode.LE_LTK_REQUEST_REPLY, { name: 'LE Long Term Key Request Reply', params: 18, reply: 'complete' }],
  [Opcode.LE_LTK_REQUEST_NEGATIVE_REPLY, { name: 'LE Long Term Key Request Negative Reply', params: 2, reply: 'complete' }],
  [Opcode.LE_SET_DATA_LENGTH, { name: 'LE Set Data Length', params: 6, reply: 'complete' }],
  [Opcode.LE_READ_SUGGESTED_DEFAULT_DATA_LENGTH, { name: 'LE Read Suggested Default Data Length', params: 0, reply: 'complete' }],
  [Opcode.LE_WRITE_SUGGESTED_DEFAULT_DATA_LENGTH, { name: 'LE Write Suggested Default Data Length', params: 4, reply: 'complete' }],
  [Opcode.LE_READ_MAXIMUM_DATA_LENGTH, { name: 'LE Read Maximum Data Length', params: 0, reply: 'complete' }],
  [Opcode.LE_READ_PHY, { name: 'LE Read PHY', params: 2, reply: 'complete' }],
  [Opcode.LE_SET_DEFAULT_PHY, { name: 'LE Set Default PHY', params: 3, reply: 'complete' }],
]);

/** Supported_Commands bits (octet, bit) per Core spec Vol 4 Part E 6.27 for the commands above; no extended scanning bits. */
const SUPPORTED_COMMAND_BITS: [number, number][] = [
  [0, 5], [2, 7], // Disconnect, Read Remote Version Information
  [5, 6], [5, 7], // Set Event Mask, Reset
  [14, 3], [14, 5], [14, 7], // Read Local Version, Read Local Supported Features, Read Buffer Size
  [15, 1], [15, 5], // Read BD_ADDR, Read RSSI
  [24, 5], [24, 6], // Read/Write LE Host Support
  [25, 0], [25, 1], [25, 2], [25, 4], [25, 5], [25, 6], [25, 7], // LE Set Event Mask .. LE Set Advertising Data
  [26, 0], [26, 1], [26, 2], [26, 3], [26, 4], [26, 5], [26, 6], [26, 7], // LE Set Scan Response Data .. LE Clear White List
  [27, 2], [27, 5], // LE Connection Update, LE Read Remote Features
  [33, 6], [33, 7], [34, 0], // LE Set Data Length, LE Read/Write Suggested Default Data Length
  [35, 3], [35, 4], [35, 5], // LE Read Maximum Data Length, LE Read PHY, LE Set Default PHY
];

export function commandName(opcode: number): string {
  return COMMANDS.get(opcode)?.name ?? `opcode 0x${opcode.toString(16).padStart(4, '0')}`;
}

const DEFAULT_ADDRESS = Uint8Array.from([0xb8, 0x27, 0xeb, 0x00, 0x00, 0x01]);

export class VirtualHciController extends TypedEmitter<ControllerEvents> {
  readonly address: Uint8Array;
  readonly hciVersion: number;
  readonly #links: HciHostLink[] = [];
  #powered = true;

  // host-set masks
  #eventMaskLeMeta = DEFAULT_EVENT_MASK_BIT61;
  #leEventMask = 0x1f;
  #reportsUnmasked = false;

  // scanning
  #scan: ScanState = defaultScan();
  #duplicates = new Set<number>();
  readonly #duplicateFilterSize: number;

  // advertising
  #adv = defaultAdvertising();
  #randomAddress: Uint8Array | null = null;

  // connections
  #initiating: ConnectionRequest | null = null;
  readonly #connections = new Map<number, VirtualLink>();
  #nextHandle = FIRST_HANDLE;
  /** Events that must follow the reply to the command being answered (Command Status first, then the outcome). */
  #afterReply: (() => void)[] = [];

  readonly #counters: ControllerCounters = {
    commands: 0, unknownCommands: 0, reports: 0, duplicatesFiltered: 0, notScanning: 0, oversize: 0,
    aclFromHost: 0, aclToHost: 0, aclDropped: 0,
  };

  constructor(options: VirtualHciControllerOptions = {}) {
    super();
    const address = options.address ?? DEFAULT_ADDRESS;
    if (address.length !== 6) throw new RangeError(`address must be 6 bytes, got ${address.length}`);
    this.address = Uint8Array.from(address);
    this.hciVersion = options.hciVersion ?? 0x09;
    this.#duplicateFilterSize = options.duplicateFilterSize ?? 1024;
    this.#updateReportMask();
  }

  // ---- hosts ----------------------------------------------------------------------

  /** Attaches a host; returns the function that detaches it. */
  attach(link: HciHostLink): () => void {
    this.#links.push(link);
    return () => {
      const i = this.#links.indexOf(link);
      if (i >= 0) this.#links.splice(i, 1);
    };
  }

  get hostCount(): number {
    return this.#links.length;
  }

  get powered(): boolean {
    return this.#powered;
  }

  /** Powers the controller up or down (hciconfig up/down); down stops scanning and advertising. */
  setPowered(powered: boolean): void {
    if (this.#powered === powered) return;
    this.#powered = powered;
    if (!powered) this.#reset();
  }

  /**
   * Takes one HCI packet written by a host. Commands are echoed to the other hosts whose
   * filter takes command packets (as Linux does for raw sockets), then answered to all.
   */
  receive(from: HciHostLink | null, packet: Uint8Array): void {
    if (packet.length === 0 || !this.#powered) return;
    if (packet[0] === HciPacketType.ACL_DATA) {
      this.#echo(from, packet);
      this.#receiveAcl(packet);
      return;
    }
    if (packet[0] !== HciPacketType.COMMAND) return;
    if (packet.length < 4) return;
    this.#echo(from, packet);
    const opcode = packet[1] | (packet[2] << 8);
    const params = packet.subarray(4, 4 + packet[3]);
    this.#answer(opcode, params, packet[3] === packet.length - 4);
  }

  /** Raw sockets other than the writer see what a host writes (Linux raw sockets are promiscuous). */
  #echo(from: HciHostLink | null, packet: Uint8Array): void {
    const links = this.#links;
    if (links.length > 1 || from === null) {
      let echo: Buffer | null = null;
      for (let i = 0; i < links.length; i++) {
        const link = links[i];
        if (link === from || !link.accepts(packet)) continue;
        echo ??= Buffer.from(packet);
        link.deliver(echo);
      }
    }
  }

  /** Puts any bytes to every host as if the controller had sent them (tests of the host's robustness). */
  sendRaw(packet: Uint8Array): void {
    this.#broadcast(Buffer.from(packet));
  }

  // ---- the air ----------------------------------------------------------------------

  /** Hears one packet from the air; returns whether it became an LE Advertising Report. */
  hear(packet: AirPacket): boolean {
    if (!this.#scan.enabled || !this.#reportsUnmasked) {
      this.#counters.notScanning++;
      return false;
    }
    const data = packet.data;
    if (data.length > 31) {
      this.#counters.oversize++;
      return false;
    }
    if (packet.eventType === AdvEventType.SCAN_RSP && !this.#scan.active) return false;
    if (this.#scan.filterDuplicates && this.#isDuplicate(packet)) {
      this.#counters.duplicatesFiltered++;
      return false;
    }
    const rssi = packet.rssi < -128 ? -128 : packet.rssi > 127 ? 127 : Math.round(packet.rssi);
    const buf = Buffer.allocUnsafe(15 + data.length);
    writeLeAdvertisingReport(buf, 0, packet.eventType, packet.addressType, packet.address, data, rssi);
    this.#counters.reports++;
    this.#broadcast(buf);
    return true;
  }

  /** Hears packets in one synchronous batch; returns how many became reports. */
  hearAll(packets: Iterable<AirPacket>): number {
    let n = 0;
    for (const p of packets) if (this.hear(p)) n++;
    return n;
  }

  /**
   * What this controller puts on air right now, heard at `rssi`: its advertisement and,
   * when `withScanResponse` and the advertising type is scannable, its scan response.
   */
  onAir(time: number, rssi: number, withScanResponse = false): AirPacket[] {
    const adv = this.#adv;
    if (!adv.enabled || !this.#powered) return [];
    const address = adv.ownAddressType === 1 && this.#randomAddress ? this.#randomAddress : this.address;
    const addressType = adv.ownAddressType === 1 ? 1 : 0;
    const eventType = advertisingTypeToEventType(adv.advertisingType);
    const out: AirPacket[] = [{ time, address, addressType, eventType, data: adv.data, rssi }];
    const scannable = eventType === AdvEventType.ADV_IND || eventType === AdvEventType.ADV_SCAN_IND;
    if (withScanResponse && scannable && adv.scanResponse.length > 0) {
      out.push({ time, address, addressType, eventType: AdvEventType.SCAN_RSP, data: adv.scanResponse, rssi });
    }
    return out;
  }

  // ---- state ------------------------------------------------------------------------

  /** A snapshot of what the host has set up for advertising. */
  advertising(): AdvertisingState {
    const adv = this.#adv;
    return {
      ...adv,
      address: Uint8Array.from(adv.ownAddressType === 1 && this.#randomAddress ? this.#randomAddress : this.address),
      data: Uint8Array.from(adv.data),
      scanResponse: Uint8Array.from(adv.scanResponse),
    };
  }

  scanning(): ScanState {
    return { ...this.#scan };
  }

  get randomAddress(): Uint8Array | null {
    return this.#randomAddress && Uint8Array.from(this.#randomAddress);
  }

  counters(): ControllerCounters {
    return { ...this.#counters };
  }

  // ---- connections (the hub and VirtualLink call these) -----------------------------

  /** The connection the host asked for with LE Create Connection and that is not made yet. */
  get initiating(): ConnectionRequest | null {
    return this.#initiating;
  }

  /** Whether a central can connect now: advertising with a connectable type (ADV_IND or directed). */
  get connectable(): boolean {
    const t = this.#adv.advertisingType;
    return this.#powered && this.#adv.enabled && (t === 0x00 || t === 0x01 || t === 0x04);
  }

  /** The address and type the advertisements go out with. */
  advertisingAddress(): { address: Uint8Array; addressType: number } {
    const random = this.#adv.ownAddressType === 1 && this.#randomAddress !== null;
    return { address: Uint8Array.from(random ? this.#randomAddress! : this.address), addressType: random ? 1 : 0 };
  }

  /** A connection handle no open connection uses. */
  allocateHandle(): number {
    while (this.#connections.has(this.#nextHandle)) this.#nextHandle = this.#nextHandle >= 0x0eff ? FIRST_HANDLE : this.#nextHandle + 1;
    const handle = this.#nextHandle;
    this.#nextHandle = handle >= 0x0eff ? FIRST_HANDLE : handle + 1;
    return handle;
  }

  connections(): ConnectionInfo[] {
    return [...this.#connections.entries()].map(([handle, link]) => this.#info(handle, link));
  }

  /** A link came up: a central stops initiating, a peripheral stops advertising (Core spec Vol 6 Part B 4.4.2); the host hears LE Connection Complete. */
  linkEstablished(link: VirtualLink, role: 0 | 1): void {
    const end = role === 0 ? link.central : link.peripheral;
    const peer = role === 0 ? link.peripheral : link.central;
    this.#connections.set(end.handle, link);
    if (role === 0) {
      this.#initiating = null;
    } else if (this.#adv.enabled) {
      this.#adv.enabled = false;
      this.emit('advertising', this.advertising());
    }
    if (this.#leEventUnmasked(LE_MASK_CONNECTION_COMPLETE)) {
      this.#broadcast(leConnectionCompleteEvent(HciStatus.SUCCESS, end.handle, role, peer.addressType, peer.address, link.timing));
    }
    this.emit('connection', this.#info(end.handle, link));
  }

  /** A link went down; `reason` null means silently (this controller was reset). */
  linkClosed(link: VirtualLink, reason: number | null): void {
    const handle = link.endOf(this).handle;
    if (this.#connections.get(handle) !== link) return;
    this.#connections.delete(handle);
    if (reason !== null) this.#broadcast(disconnectionCompleteEvent(HciStatus.SUCCESS, handle, reason));
    this.emit('disconnection', handle, reason ?? HciStatus.CONNECTION_TIMEOUT);
  }

  /** Hands one link-layer payload to the hosts as an ACL data packet. */
  deliverAcl(handle: number, first: boolean, data: Uint8Array): void {
    if (!this.#connections.has(handle) || !this.#powered) return;
    const packet = aclDataPacket(handle, first ? AclBoundary.FIRST_FLUSHABLE : AclBoundary.CONTINUATION, data);
    this.#counters.aclToHost++;
    this.#broadcast(packet);
    this.emit('acl', 'rx', packet);
  }

  /** Ends every connection; peers see a supervision timeout. */
  dropConnections(notifyHost: boolean): void {
    for (const link of [...this.#connections.values()]) link.close(this, HciStatus.CONNECTION_TIMEOUT, notifyHost);
  }

  // ---- internals --------------------------------------------------------------------

  #broadcast(packet: Buffer): void {
    const links = this.#links;
    for (let i = 0; i < links.length; i++) {
      const link = links[i];
      if (link.accepts(packet)) link.deliver(packet);
    }
  }

  #isDuplicate(packet: AirPacket): boolean {
    const a = packet.address;
    // 48-bit address, address type and event type packed into one exact double (< 2^53)
    const key = ((a[0] * 256 + a[1]) * 65536 + (a[2] * 256 + a[3])) * 65536 * 16 +
      (a[4] * 256 + a[5]) * 16 + packet.addressType * 8 + packet.eventType;
    if (this.#duplicates.has(key)) return true;
    if (this.#duplicates.size >= this.#duplicateFilterSize) this.#duplicates.clear();
    this.#duplicates.add(key);
    return false;
  }

  #updateReportMask(): void {
    this.#reportsUnmasked = this.#eventMaskLeMeta && (this.#leEventMask & LE_MASK_ADV_REPORT) !== 0;
  }

  #info(handle: number, link: VirtualLink): ConnectionInfo {
    const role = link.central.controller === this && link.central.handle === handle ? 0 : 1;
    const peer = role === 0 ? link.peripheral : link.central;
    return { handle, role, peerAddress: Uint8Array.from(peer.address), peerAddressType: peer.addressType, timing: { ...link.timing }, link };
  }

  #leEventUnmasked(bit: number): boolean {
    return this.#eventMaskLeMeta && (this.#leEventMask & bit) !== 0;
  }

  /** An ACL data packet from a host: onto its link, then Number Of Completed Packets back (the hosts count their buffers by it). */
  #receiveAcl(packet: Uint8Array): void {
    const length = packet.length >= 5 ? packet[3] | (packet[4] << 8) : -1;
    const handle = packet.length >= 3 ? (packet[1] | (packet[2] << 8)) & 0x0fff : -1;
    const boundary = packet.length >= 3 ? (packet[2] >> 4) & 0x3 : -1;
    const link = this.#connections.get(handle);
    if (length !== packet.length - 5 || length > LE_ACL_MAX_LENGTH || !link || boundary === 0x3 /* reserved */) {
      this.#counters.aclDropped++;
      return;
    }
    this.#counters.aclFromHost++;
    this.emit('acl', 'tx', packet);
    link.carry(this, boundary !== AclBoundary.CONTINUATION, packet.subarray(5));
    if (this.#connections.get(handle) === link) this.#broadcast(numberOfCompletedPacketsEvent(handle, 1));
  }

  #reset(): void {
    this.dropConnections(false);
    if (this.#initiating) {
      this.#initiating = null;
      this.emit('initiating', null);
    }
    const wasAdvertising = this.#adv.enabled;
    const wasScanning = this.#scan.enabled;
    this.#eventMaskLeMeta = DEFAULT_EVENT_MASK_BIT61;
    this.#leEventMask = 0x1f;
    this.#updateReportMask();
    this.#scan = defaultScan();
    this.#duplicates.clear();
    this.#adv = defaultAdvertising();
    this.#randomAddress = null;
    if (wasAdvertising) this.emit('advertising', this.advertising());
    if (wasScanning) this.emit('scanning', this.scanning());
  }

  #answer(opcode: number, params: Uint8Array, lengthOk: boolean): void {
    this.#counters.commands++;
    const spec = COMMANDS.get(opcode);
    let reply: Buffer;
    let status: number;
    if (!spec) {
      this.#counters.unknownCommands++;
      status = HciStatus.UNKNOWN_COMMAND;
      reply = commandCompleteEvent(opcode, [status]);
    } else if (!lengthOk || params.length !== spec.params) {
      status = HciStatus.INVALID_PARAMETERS;
      reply = spec.reply === 'status'
        ? commandStatusEvent(opcode, status)
        : commandCompleteEvent(opcode, this.#errorReturn(opcode, status, params));
    } else if (spec.reply === 'status') {
      status = this.#runStatusCommand(opcode, params);
      reply = commandStatusEvent(opcode, status);
    } else {
      const ret = this.#runCompleteCommand(opcode, params);
      status = ret[0];
      reply = commandCompleteEvent(opcode, ret);
    }
    this.#broadcast(reply);
    const after = this.#afterReply;
    this.#afterReply = [];
    for (const fn of after) fn();
    this.emit('command', opcode, params, status);
  }

  /** Return parameters of a failed command: status, then zeros (or the echoed handle) where the host reads fields anyway. */
  #errorReturn(opcode: number, status: number, params: Uint8Array): number[] {
    switch (opcode) {
      case Opcode.READ_RSSI: return [status, params[0] ?? 0, params[1] ?? 0, 0];
      case Opcode.LE_LTK_REQUEST_REPLY:
      case Opcode.LE_LTK_REQUEST_NEGATIVE_REPLY: return [status, params[0] ?? 0, params[1] ?? 0];
      case Opcode.READ_LOCAL_VERSION: return [status, 0, 0, 0, 0, 0, 0, 0, 0];
      case Opcode.READ_BD_ADDR: return [status, 0, 0, 0, 0, 0, 0];
      default: return [status];
    }
  }

  #runStatusCommand(opcode: number, p: Uint8Array): number {
    if (opcode === Opcode.LE_CREATE_CONNECTION) return this.#createConnection(p);
    const handle = p[0] | ((p[1] & 0x0f) << 8);
    const link = this.#connections.get(handle);
    if (!link) return HciStatus.UNKNOWN_CONNECTION_ID;
    switch (opcode) {
      case Opcode.DISCONNECT:
        this.#afterReply.push(() => link.close(this, p[2]));
        return HciStatus.SUCCESS;
      case Opcode.LE_CONNECTION_UPDATE: {
        const min = p[2] | (p[3] << 8);
        const max = p[4] | (p[5] << 8);
        const timing = { interval: min, latency: p[6] | (p[7] << 8), supervisionTimeout: p[8] | (p[9] << 8) };
        if (min < 6 || max > 3200 || min > max || timing.supervisionTimeout < 10 || timing.supervisionTimeout > 3200) {
          return HciStatus.INVALID_PARAMETERS;
        }
        this.#afterReply.push(() => {
          link.timing = timing;
          for (const end of [link.central, link.peripheral]) end.controller.#connectionUpdated(end.handle, timing);
        });
        return HciStatus.SUCCESS;
      }
      case Opcode.LE_READ_REMOTE_FEATURES:
        this.#afterReply.push(() => {
          if (this.#leEventUnmasked(LE_MASK_READ_REMOTE_FEATURES_COMPLETE)) {
            this.#broadcast(leReadRemoteFeaturesCompleteEvent(HciStatus.SUCCESS, handle, LE_FEATURES));
          }
        });
        return HciStatus.SUCCESS;
      case Opcode.READ_REMOTE_VERSION:
        this.#afterReply.push(() => {
          const peer = link.peerOf(this).controller;
          // Read Remote Version Information Complete: status handle(2) version manufacturer(2) subversion(2)
          this.#broadcast(Buffer.from([HciPacketType.EVENT, 0x0c, 8, 0, handle & 0xff, handle >> 8, peer.hciVersion,
            MANUFACTURER_TEST & 0xff, MANUFACTURER_TEST >> 8, 0, 0]));
        });
        return HciStatus.SUCCESS;
      default:
        return HciStatus.UNSUPPORTED_FEATURE; // LE Start Encryption: no link-layer encryption on the virtual air
    }
  }

  #connectionUpdated(handle: number, timing: ConnectionTiming): void {
    if (this.#leEventUnmasked(LE_MASK_CONNECTION_UPDATE_COMPLETE)) {
      this.#broadcast(leConnectionUpdateCompleteEvent(HciStatus.SUCCESS, handle, timing));
    }
  }

  /** LE Create Connection: parameters checked, then the controller initiates until the hub finds the peer advertising. */
  #createConnection(p: Uint8Array): number {
    if (this.#initiating) return HciStatus.COMMAND_DISALLOWED;
    if (p[4] !== 0) return HciStatus.UNSUPPORTED_FEATURE; // the filter accept list is always empty here
    const min = p[13] | (p[14] << 8);
    const max = p[15] | (p[16] << 8);
    const timing = { interval: min, latency: p[17] | (p[18] << 8), supervisionTimeout: p[19] | (p[20] << 8) };
    if (p[5] > 3 || p[12] > 3 || min < 6 || max > 3200 || min > max || timing.supervisionTimeout < 10 || timing.supervisionTimeout > 3200) {
      return HciStatus.INVALID_PARAMETERS;
    }
    const peerAddress = Uint8Array.from(p.subarray(6, 12)).reverse();
    const peerAddressType = p[5] & 1;
    for (const link of this.#connections.values()) {
      const peer = link.peerOf(this);
      if (peer.addressType === peerAddressType && Buffer.compare(peer.address, peerAddress) === 0) return HciStatus.CONNECTION_ALREADY_EXISTS;
    }
    const ownAddressType = p[12] & 1 && this.#randomAddress ? 1 : 0;
    const request: ConnectionRequest = {
      peerAddress,
      peerAddressType,
      ownAddress: Uint8Array.from(ownAddressType ? this.#randomAddress! : this.address),
      ownAddressType,
      timing,
    };
    this.#initiating = request;
    this.#afterReply.push(() => this.emit('initiating', request));
    return HciStatus.SUCCESS;
  }

  #runCompleteCommand(opcode: number, p: Uint8Array): number[] {
    const OK = HciStatus.SUCCESS;
    switch (opcode) {
      case Opcode.RESET:
        this.#reset();
        return [OK];
      case Opcode.SET_EVENT_MASK:
        this.#eventMaskLeMeta = (p[7] & 0x20) !== 0; // bit 61: LE Meta event
        this.#updateReportMask();
        return [OK];
      case Opcode.LE_SET_EVENT_MASK:
        this.#leEventMask = p[0];
        this.#updateReportMask();
        return [OK];
      case Opcode.WRITE_LE_HOST_SUPPORTED:
      case Opcode.LE_SET_DEFAULT_PHY:
      case Opcode.LE_CLEAR_WHITE_LIST:
        return [OK];
      case Opcode.READ_LE_HOST_SUPPORTED:
        return [OK, 0x01, 0x00]; // LE_Supported_Host, Simultaneous_LE_Host
      case Opcode.READ_LOCAL_VERSION:
        return [OK, this.hciVersion, 0x00, 0x00, this.hciVersion, MANUFACTURER_TEST & 0xff, MANUFACTURER_TEST >> 8, 0x00, 0x00];
      case Opcode.READ_LOCAL_SUPPORTED_COMMANDS: {
        const bits = new Array<number>(64).fill(0);
        for (const [octet, bit] of SUPPORTED_COMMAND_BITS) bits[octet] |= 1 << bit;
        return [OK, ...bits];
      }
      case Opcode.READ_LOCAL_SUPPORTED_FEATURES:
        return [OK, 0, 0, 0, 0, 0x60, 0, 0, 0]; // byte 4: BR/EDR Not Supported (bit 37), LE Supported (bit 38)
      case Opcode.READ_BUFFER_SIZE:
        return [OK, 0xfd, 0x03, 0x40, 0x08, 0x00, 0x00, 0x00]; // ACL 1021 bytes, SCO 64, 8 ACL packets, 0 SCO
      case Opcode.READ_BD_ADDR:
        return [OK, ...Array.from(this.address).reverse()];
      case Opcode.READ_RSSI: {
        const link = this.#connections.get(p[0] | ((p[1] & 0x0f) << 8));
        return link ? [OK, p[0], p[1], link.readRssi() & 0xff] : [HciStatus.UNKNOWN_CONNECTION_ID, p[0], p[1], 0];
      }
      case Opcode.LE_READ_PHY: {
        const known = this.#connections.has(p[0] | ((p[1] & 0x0f) << 8));
        return known ? [OK, p[0], p[1], 0x01, 0x01] : [HciStatus.UNKNOWN_CONNECTION_ID, p[0], p[1], 0, 0]; // LE 1M both ways
      }
      case Opcode.LE_SET_DATA_LENGTH: {
        const handle = p[0] | ((p[1] & 0x0f) << 8);
        const link = this.#connections.get(handle);
        if (!link) return [HciStatus.UNKNOWN_CONNECTION_ID, p[0], p[1]];
        const octets = p[2] | (p[3] << 8);
        if (octets < 27 || octets > MAX_LL_OCTETS) return [HciStatus.INVALID_PARAMETERS, p[0], p[1]];
        this.#afterReply.push(() => {
          const mine = link.central.controller === this && link.central.handle === handle ? 'central' : 'peripheral';
          link.txOctets[mine] = octets;
          for (const end of [link.central, link.peripheral]) {
            const tx = link.txOctets[end === link.central ? 'central' : 'peripheral'];
            const rx = link.txOctets[end === link.central ? 'peripheral' : 'central'];
            if (end.controller.#leEventUnmasked(LE_MASK_DATA_LENGTH_CHANGE)) end.controller.#broadcast(leDataLengthChangeEvent(end.handle, tx, rx));
          }
        });
        return [OK, p[0], p[1]];
      }
      case Opcode.LE_READ_SUGGESTED_DEFAULT_DATA_LENGTH:
        return [OK, 27, 0, 0x48, 0x01]; // 27 octets, 328 us
      case Opcode.LE_WRITE_SUGGESTED_DEFAULT_DATA_LENGTH:
        return [OK];
      case Opcode.LE_READ_MAXIMUM_DATA_LENGTH:
        return [OK, MAX_LL_OCTETS, 0, 0x48, 0x08, MAX_LL_OCTETS, 0, 0x48, 0x08]; // 251 octets, 2120 us, both ways
      case Opcode.LE_READ_BUFFER_SIZE:
        return [OK, 0xfb, 0x00, 0x08]; // 251-byte LE ACL packets, 8 of them
      case Opcode.LE_READ_LOCAL_SUPPORTED_FEATURES:
        return [OK, 0, 0, 0, 0, 0, 0, 0, 0];
      case Opcode.LE_READ_ADVERTISING_CHANNEL_TX_POWER:
        return [OK, 0x00]; // 0 dBm
      case Opcode.LE_READ_WHITE_LIST_SIZE:
        return [OK, 0x08];
      case Opcode.LE_CREATE_CONNECTION_CANCEL: {
        const request = this.#initiating;
        if (!request) return [HciStatus.COMMAND_DISALLOWED]; // no connection is being created
        this.#initiating = null;
        this.#afterReply.push(() => {
          this.emit('initiating', null);
          // the cancelled attempt ends with LE Connection Complete, status Unknown Connection Identifier
          if (this.#leEventUnmasked(LE_MASK_CONNECTION_COMPLETE)) {
            this.#broadcast(leConnectionCompleteEvent(HciStatus.UNKNOWN_CONNECTION_ID, 0, 0, request.peerAddressType, request.peerAddress, request.timing));
          }
        });
        return [OK];
      }
      case Opcode.LE_LTK_REQUEST_REPLY:
      case Opcode.LE_LTK_REQUEST_NEGATIVE_REPLY:
        return [HciStatus.UNKNOWN_CONNECTION_ID, p[0], p[1]];
      case Opcode.LE_SET_RANDOM_ADDRESS:
        this.#randomAddress = Uint8Array.from(p).reverse();
        if (this.#adv.enabled) this.emit('advertising', this.advertising());
        return [OK];
      case Opcode.LE_SET_ADVERTISING_PARAMETERS:
        return [this.#setAdvertisingParameters(p)];
      case Opcode.LE_SET_ADVERTISING_DATA:
      case Opcode.LE_SET_SCAN_RESPONSE_DATA: {
        if (p[0] > 31) return [HciStatus.INVALID_PARAMETERS];
        const bytes = Uint8Array.from(p.subarray(1, 1 + p[0]));
        if (opcode === Opcode.LE_SET_ADVERTISING_DATA) this.#adv.data = bytes;
        else this.#adv.scanResponse = bytes;
        this.emit('advertising', this.advertising());
        return [OK];
      }
      case Opcode.LE_SET_ADVERTISE_ENABLE: {
        if (p[0] > 1) return [HciStatus.INVALID_PARAMETERS];
        const enabled = p[0] === 1;
        if (enabled !== this.#adv.enabled) {
          this.#adv.enabled = enabled;
          this.emit('advertising', this.advertising());
        }
        return [OK];
      }
      case Opcode.LE_SET_SCAN_PARAMETERS:
        return [this.#setScanParameters(p)];
      case Opcode.LE_SET_SCAN_ENABLE: {
        if (p[0] > 1 || p[1] > 1) return [HciStatus.INVALID_PARAMETERS];
        const enabled = p[0] === 1;
        const filterDuplicates = p[1] === 1;
        const changed = enabled !== this.#scan.enabled || (enabled && filterDuplicates !== this.#scan.filterDuplicates);
        if (enabled && !this.#scan.enabled) this.#duplicates.clear();
        this.#scan.enabled = enabled;
        if (enabled) this.#scan.filterDuplicates = filterDuplicates;
        if (changed) this.emit('scanning', this.scanning());
        return [OK];
      }
      default:
        return [HciStatus.UNKNOWN_COMMAND];
    }
  }

  #setAdvertisingParameters(p: Uint8Array): number {
    if (this.#adv.enabled) return HciStatus.COMMAND_DISALLOWED; // spec: not while advertising
    const intervalMin = p[0] | (p[1] << 8);
    const intervalMax = p[2] | (p[3] << 8);
    const type = p[4];
    const directed = type === 0x01;
    if (type > 0x04) return HciStatus.INVALID_PARAMETERS;
    if (!directed && (intervalMin < 0x20 || intervalMax > 0x4000 || intervalMin > intervalMax)) {
      return HciStatus.INVALID_PARAMETERS;
    }
    const channelMap = p[13] & 0x07;
    if (channelMap === 0) return HciStatus.INVALID_PARAMETERS;
    Object.assign(this.#adv, {
      advertisingType: type,
      intervalMin,
      intervalMax,
      intervalMs: intervalMin * 0.625,
      ownAddressType: p[5],
      channelMap,
      filterPolicy: p[14],
    });
    this.emit('advertising', this.advertising());
    return HciStatus.SUCCESS;
  }

  #setScanParameters(p: Uint8Array): number {
    if (this.#scan.enabled) return HciStatus.COMMAND_DISALLOWED; // spec: not while scanning
    const interval = p[1] | (p[2] << 8);
    const window = p[3] | (p[4] << 8);
    if (p[0] > 1 || interval < 4 || interval > 0x4000 || window < 4 || window > interval) {
      return HciStatus.INVALID_PARAMETERS;
    }
    Object.assign(this.#scan, { active: p[0] === 1, interval, window, ownAddressType: p[5], filterPolicy: p[6] });
    return HciStatus.SUCCESS;
  }
}

/** LE features this controller and its peers report: none of the optional ones. */
const LE_FEATURES = [0, 0, 0, 0, 0, 0, 0, 0];

function defaultScan(): ScanState {
  return { enabled: false, filterDuplicates: false, active: false, interval: 0x10, window: 0x10, ownAddressType: 0, filterPolicy: 0 };
}

function defaultAdvertising(): AdvertisingState {
  return {
    enabled: false,
    advertisingType: 0,
    intervalMin: 0x800,
    intervalMax: 0x800,
    intervalMs: 0x800 * 0.625,
    ownAddressType: 0,
    channelMap: 0x07,
    filterPolicy: 0,
    address: new Uint8Array(6),
    data: new Uint8Array(0),
    scanResponse: new Uint8Array(0),
  };
}

function advertisingTypeToEventType(type: number): AdvEventType {
  switch (type) {
    case 0x02: return AdvEventType.ADV_SCAN_IND;
    case 0x03: return AdvEventType.ADV_NONCONN_IND;
    case 0x01:
    case 0x04: return AdvEventType.ADV_DIRECT_IND;
    default: return AdvEventType.ADV_IND;
  }
}

