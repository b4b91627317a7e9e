/**
 * The virtual air: what simulated radios put on the 2.4 GHz channel and what a
 * virtual controller hears. The virtual venue produces AirPackets; a virtual HCI
 * controller turns the ones it hears into real HCI LE Advertising Report events.
 */

import { AdvEventType } from '../kiosk/radio/hci/packet.js';
import { leAdvertisingReportEvent } from '../kiosk/radio/hci/writer.js';

export { AdvEventType };
export { formatAddress, parseAddress } from '../core/address.js';

export interface AirPacket {
  /** Simulated time the packet is on air, ms since the Unix epoch. */
  time: number;
  /** The advertiser's address, 6 bytes, most significant byte first (as written `aa:bb:...`). */
  address: Uint8Array;
  /** 0 = public, 1 = random (as in the HCI report's address_type). */
  addressType: 0 | 1;
  eventType: AdvEventType;
  /** AD structures, at most 31 bytes on legacy advertising. */
  data: Uint8Array;
  /** Received signal strength at the listening kiosk, dBm. */
  rssi: number;
}

/**
 * The H4 frame a controller sends for one received legacy advertising PDU:
 * 0x04 (event) | 0x3E (LE Meta) | parameter length | 0x02 (subevent) | num_reports = 1 |
 * event_type | address_type | address, 6 bytes least significant first | data_length | data | rssi (int8).
 */
export function encodeAdvertisingReportEvent(packet: AirPacket): Uint8Array {
  const { address, data } = packet;
  if (address.length !== 6) throw new RangeError(`packet.address must be 6 bytes, got ${address.length}`);
  if (data.length > 31) throw new RangeError(`packet.data must be at most 31 bytes on legacy advertising, got ${data.length}`);
  const rssi = Math.round(packet.rssi);
  if (!(rssi >= -128 && rssi <= 127)) throw new RangeError(`packet.rssi must fit an int8, got ${packet.rssi}`);
  const frame = leAdvertisingReportEvent(packet.eventType, packet.addressType, address, data, rssi);
  // a plain Uint8Array view, so slice() copies as callers expect (Buffer#slice does not)
  return new Uint8Array(frame.buffer, frame.byteOffset, frame.length);
}

