/**
 * The virtual air: what simulated radios put on the 2.4 GHz channel and what a
 * virtual controller hears. The virtual venue produces AirPackets; a virtual HCI
 * controller turns the ones it hears into real HCI LE Advertising Report events.
 */

/** Legacy advertising PDU kinds as they appear in an LE Advertising Report's event_type. */
export const AdvEventType = {
  ADV_IND: 0x00,
  ADV_DIRECT_IND: 0x01,
  ADV_SCAN_IND: 0x02,
  ADV_NONCONN_IND: 0x03,
  SCAN_RSP: 0x04,
} as const;
export type AdvEventType = (typeof AdvEventType)[keyof typeof AdvEventType];

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

export function formatAddress(address: Uint8Array): string {
  return Array.from(address, (b) => b.toString(16).padStart(2, '0')).join(':');
}

export function parseAddress(text: string): Uint8Array {
  const m = /^([0-9a-f]{2})(?::([0-9a-f]{2})){5}$/i.test(text);
  if (!m) throw new RangeError(`address must look like aa:bb:cc:dd:ee:ff, got ${JSON.stringify(text)}`);
  return Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
}
