/**
 * The ports between Waymark's domain code and the outside world. Each port has a real
 * adapter (noble/bleno on the HCI socket, serialport, ethers, better-sqlite3) and a
 * simulated one that speaks the same wire format (virtual HCI controller, pty, anvil).
 */
import type { TypedEmitter } from './events.js';

/** How the top two bits of a random address classify it (Core spec Vol 6 Part B 1.3). */
export type AddressKind = 'public' | 'static' | 'resolvable' | 'non-resolvable' | 'reserved';

/** One received advertisement, after the radio stack's parser. */
export interface AdvertisingReport {
  /** Lower-case `aa:bb:cc:dd:ee:ff`; only ever held in memory. */
  address: string;
  addressType: 'public' | 'random';
  addressKind: AddressKind;
  /** dBm as reported by the controller. */
  rssi: number;
  /** Receive time, ms since the Unix epoch (kiosk clock). */
  time: number;
  connectable: boolean;
  /** Service Data AD structures, keyed by lower-case 16-bit or 128-bit UUID hex. */
  serviceData: { uuid: string; data: Uint8Array }[];
  manufacturerData?: Uint8Array;
  localName?: string;
  txPowerLevel?: number;
}

export type RadioState = 'unknown' | 'poweredOff' | 'poweredOn' | 'unsupported' | 'resetting';

export type ScannerEvents = {
  report: (report: AdvertisingReport) => void;
  state: (state: RadioState) => void;
  error: (err: Error) => void;
};

export interface ScannerStats {
  reports: number;
  dropped: number;
  restarts: number;
  pruned: number;
}

export interface Scanner extends TypedEmitter<ScannerEvents> {
  /** A name for the adapter path in use, e.g. `noble/hci-socket(virtual)`. */
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): ScannerStats;
  close(): Promise<void>;
}

export type AdvertiserEvents = {
  state: (state: RadioState) => void;
  error: (err: Error) => void;
};

export interface Advertiser extends TypedEmitter<AdvertiserEvents> {
  readonly name: string;
  /** Up to 31 bytes each on legacy advertising. */
  setData(advertisement: Uint8Array, scanResponse?: Uint8Array): Promise<void>;
  start(intervalMs: number): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

/** A batch of records as committed on chain (WaymarkRegistry.commitBatch, docs/CONTRACTS.md). */
export interface BatchCommit {
  /** The registry's venue id: a uint64 counter from 1, assigned at venue registration. */
  venueId: bigint | number;
  /** The kiosk's batch sequence number; must be exactly its next one (0, 1, 2, ...). */
  seq: bigint | number;
  /** 0x-prefixed 32-byte Merkle root over the batch's records. */
  merkleRoot: string;
  /** Records in the batch, 1..2^32-1. */
  count: number;
  /** Unix seconds of the batch's first and last record. */
  fromTime: number;
  toTime: number;
}

export interface ChainReceipt {
  txHash: string;
  blockNumber: number;
}

export interface Chain {
  readonly rpcUrl: string;
  chainId(): Promise<bigint>;
  /** Latest block's timestamp, seconds. */
  latestBlockTime(): Promise<number>;
  commitBatch(batch: BatchCommit): Promise<ChainReceipt>;
  close(): Promise<void>;
}

export { type Clock, type ClockSyncStatus } from './clock.js';

/**
 * A BLE tap check-in as the GATT transport hands it to the check-in service: a phone
 * wrote its 32-byte visitor commitment over a connection whose RSSI the kiosk measured
 * and low-pass filtered. The service enforces the tap threshold and returns the bytes
 * to send back (the attestation as UTF-8 JSON), or throws a WaymarkError.
 */
export interface TapCheckinRequest {
  visitor: Uint8Array;
  /** Filtered RSSI of the link, dBm. */
  rssiDbm: number;
  /** The phone's (rotating) address: for rate limiting in memory only, never stored. */
  peer: string;
}

export type TapCheckinHandler = (request: TapCheckinRequest) => Promise<Uint8Array>;
