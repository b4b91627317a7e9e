import t from 'tap';
import { AdvEventType, parseAddress, type AirPacket } from '../../../sim/air.js';
import { VirtualHciController, type HciHostLink } from '../../../sim/hci-controller.js';
import { VirtualHciHub } from '../../../sim/hci-hub.js';
import { virtualHciSocketClass } from '../../../sim/hci-socket.js';

/** A host that records what the controller sends it, synchronously. */
function recordingHost(accepts: (p: Uint8Array) => boolean = () => true) {
  const received: string[] = [];
  const link: HciHostLink = { deliver: (p) => received.push(Buffer.from(p).toString('hex')), accepts };
  return { link, received };
}

const hex = (bytes: number[]) => Buffer.from(bytes).toString('hex');

/** Set Event Mask with LE Meta (bit 61) on, as noble and bleno send it. */
const SET_EVENT_MASK = Buffer.from([
  0x01, // HCI command packet
  0x01, 0x0c, // opcode 0x0c01 Set Event Mask, little-endian
  0x08, // 8 parameter bytes
  0xff, 0xff, 0xfb, 0xff, 0x07, 0xf8, 0xbf, 0x3d, // event mask; byte 7 bit 5 = LE Meta
]);
const LE_SCAN_ENABLE_ON = Buffer.from([
  0x01, // command
  0x0c, 0x20, // opcode 0x200c LE Set Scan Enable
  0x02, // 2 parameter bytes
  0x01, // LE_Scan_Enable = 1
  0x00, // Filter_Duplicates = 0
]);

function controllerWithHost() {
  const c = new VirtualHciController({ address: parseAddress('b8:27:eb:12:34:56') });
  const host = recordingHost();
  c.attach(host.link);
  return { c, ...host };
}

t.test('Read Local Version Information reports HCI 5.0 and the test manufacturer', async (t) => {
  const { c, link, received } = controllerWithHost();
  c.receive(link, Buffer.from([0x01, 0x01, 0x10, 0x00])); // command, opcode 0x1001, no parameters
  t.same(received, [hex([
    0x04, // HCI event packet
    0x0e, // Command Complete
    0x0c, // 12 parameter bytes
    0x01, // Num_HCI_Command_Packets
    0x01, 0x10, // opcode 0x1001
    0x00, // status: success
    0x09, // HCI_Version 5.0 (noble needs >= 6)
    0x00, 0x00, // HCI_Revision
    0x09, // LMP_Version
    0xff, 0xff, // Company_Identifier 0xFFFF (for tests)
    0x00, 0x00, // LMP_Subversion
  ])]);
});

t.test('Read BD_ADDR answers the address least significant byte first', async (t) => {
  const { c, link, received } = controllerWithHost();
  c.receive(link, Buffer.from([0x01, 0x09, 0x10, 0x00])); // opcode 0x1009
  t.same(received, [hex([
    0x04, 0x0e, // event, Command Complete
    0x0a, // 10 parameter bytes
    0x01, 0x09, 0x10, // 1 command allowed, opcode 0x1009
    0x00, // success
    0x56, 0x34, 0x12, 0xeb, 0x27, 0xb8, // b8:27:eb:12:34:56 reversed
  ])]);
});

t.test('LE Read Buffer Size and Read LE Host Supported', async (t) => {
  const { c, link, received } = controllerWithHost();
  c.receive(link, Buffer.from([0x01, 0x02, 0x20, 0x00])); // opcode 0x2002
  c.receive(link, Buffer.from([0x01, 0x6c, 0x0c, 0x00])); // opcode 0x0c6c
  t.same(received, [
    hex([0x04, 0x0e, 0x07, 0x01, 0x02, 0x20, 0x00, /* 251 bytes */ 0xfb, 0x00, /* 8 packets */ 0x08]),
    hex([0x04, 0x0e, 0x06, 0x01, 0x6c, 0x0c, 0x00, /* LE host */ 0x01, /* simultaneous */ 0x00]),
  ]);
});

t.test('an unknown command gets Command Complete with status 0x01', async (t) => {
  const { c, link, received } = controllerWithHost();
  c.receive(link, Buffer.from([0x01, 0x42, 0x20, 0x00])); // opcode 0x2042 (extended scan enable: not supported)
  t.same(received, [hex([0x04, 0x0e, 0x04, 0x01, 0x42, 0x20, /* Unknown HCI Command */ 0x01])]);
  t.equal(c.counters().unknownCommands, 1);
});

t.test('a command with the wrong parameter length gets 0x12', async (t) => {
  const { c, link, received } = controllerWithHost();
  c.receive(link, Buffer.from([0x01, 0x0c, 0x20, 0x01, 0x01])); // LE Set Scan Enable with 1 byte instead of 2
  t.same(received, [hex([0x04, 0x0e, 0x04, 0x01, 0x0c, 0x20, /* Invalid HCI Command Parameters */ 0x12])]);
  t.equal(c.scanning().enabled, false);
});

t.test('Disconnect of a handle with no connection gets Command Status "unknown connection"', async (t) => {
  const { c, link, received } = controllerWithHost();
  c.receive(link, Buffer.from([0x01, 0x06, 0x04, 0x03, 0x40, 0x00, 0x13])); // Disconnect handle 0x0040, reason 0x13
  t.same(received, [hex([
    0x04, 0x0f, // event, Command Status
    0x04, // 4 parameter bytes
    0x02, // status: Unknown Connection Identifier
    0x01, // Num_HCI_Command_Packets
    0x06, 0x04, // opcode 0x0406
  ])]);
});

t.test('LE Set Scan Parameters is refused while scanning, accepted after', async (t) => {
  const { c, link, received } = controllerWithHost();
  const params = [0x01, 0x0b, 0x20, 0x07, /* active */ 0x01, /* interval */ 0x12, 0x00, /* window */ 0x12, 0x00, /* own public */ 0x00, /* accept all */ 0x00];
  c.receive(link, LE_SCAN_ENABLE_ON);
  c.receive(link, Buffer.from(params));
  t.equal(received[1], hex([0x04, 0x0e, 0x04, 0x01, 0x0b, 0x20, /* Command Disallowed */ 0x0c]));
  c.receive(link, Buffer.from([0x01, 0x0c, 0x20, 0x02, 0x00, 0x00])); // scan off
  c.receive(link, Buffer.from(params));
  t.equal(received[3], hex([0x04, 0x0e, 0x04, 0x01, 0x0b, 0x20, 0x00]));
  t.match(c.scanning(), { enabled: false, active: true, interval: 0x12, window: 0x12 });
});

t.test('advertising state follows the LE advertising commands', async (t) => {
  const { c, link, received } = controllerWithHost();
  const changes: boolean[] = [];
  c.on('advertising', (s) => changes.push(s.enabled));
  c.receive(link, Buffer.from([
    0x01, 0x06, 0x20, 0x0f, // LE Set Advertising Parameters, 15 bytes
    0xa0, 0x00, 0xa0, 0x00, // interval min/max 160 * 0.625 = 100 ms
    0x03, // ADV_NONCONN_IND
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // own public, peer type, peer address
    0x07, // all three channels
    0x00, // no filter policy
  ]));
  const adv = [0x02, 0x01, 0x06, 0x03, 0xff, 0x34, 0x12];
  const setData = Buffer.alloc(36);
  setData.set([0x01, 0x08, 0x20, 0x20, adv.length, ...adv]); // LE Set Advertising Data, 32 bytes: length + 31 padded
  c.receive(link, setData);
  c.receive(link, Buffer.from([0x01, 0x0a, 0x20, 0x01, 0x01])); // LE Set Advertising Enable on
  t.same(received, [
    hex([0x04, 0x0e, 0x04, 0x01, 0x06, 0x20, 0x00]),
    hex([0x04, 0x0e, 0x04, 0x01, 0x08, 0x20, 0x00]),
    hex([0x04, 0x0e, 0x04, 0x01, 0x0a, 0x20, 0x00]),
  ]);
  const state = c.advertising();
  t.equal(state.enabled, true);
  t.equal(state.intervalMs, 100);
  t.equal(state.advertisingType, 3);
  t.same([...state.data], adv);
  t.same(changes.at(-1), true);
  const onAir = c.onAir(1000, -40);
  t.equal(onAir.length, 1);
  t.equal(onAir[0].eventType, AdvEventType.ADV_NONCONN_IND);
  t.same([...onAir[0].address], [...parseAddress('b8:27:eb:12:34:56')]);

  // parameters may not change while advertising
  received.length = 0;
  c.receive(link, Buffer.from([0x01, 0x06, 0x20, 0x0f, 0xa0, 0, 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07, 0]));
  t.same(received, [hex([0x04, 0x0e, 0x04, 0x01, 0x06, 0x20, 0x0c])]);
});

t.test('advertising data longer than 31 bytes is refused', async (t) => {
  const { c, link, received } = controllerWithHost();
  const setData = Buffer.alloc(36);
  setData.set([0x01, 0x08, 0x20, 0x20, 32]);
  c.receive(link, setData);
  t.same(received, [hex([0x04, 0x0e, 0x04, 0x01, 0x08, 0x20, 0x12])]);
});

const heard: AirPacket = {
  time: 0,
  address: parseAddress('c1:02:03:04:05:06'),
  addressType: 1,
  eventType: AdvEventType.ADV_NONCONN_IND,
  data: Uint8Array.from([0x02, 0x01, 0x06]),
  rssi: -67,
};

t.test('heard packets become LE Advertising Report events only while scanning with LE Meta unmasked', async (t) => {
  const { c, link, received } = controllerWithHost();
  t.equal(c.hear(heard), false, 'not scanning');
  c.receive(link, LE_SCAN_ENABLE_ON);
  t.equal(c.hear(heard), false, 'LE Meta still masked (reset default)');
  c.receive(link, SET_EVENT_MASK);
  received.length = 0;
  t.equal(c.hear(heard), true);
  t.same(received, [hex([
    0x04, // event
    0x3e, // LE Meta
    0x0f, // 15 parameter bytes
    0x02, // subevent: LE Advertising Report
    0x01, // one report
    0x03, // ADV_NONCONN_IND
    0x01, // random address
    0x06, 0x05, 0x04, 0x03, 0x02, 0xc1, // c1:02:03:04:05:06 reversed
    0x03, // 3 bytes of AD
    0x02, 0x01, 0x06, // Flags AD structure
    0xbd, // rssi -67
  ])]);
});

t.test('the duplicate filter reports an address once per scan', async (t) => {
  const { c, link, received } = controllerWithHost();
  c.receive(link, SET_EVENT_MASK);
  c.receive(link, Buffer.from([0x01, 0x0c, 0x20, 0x02, 0x01, 0x01])); // scan on, filter duplicates
  received.length = 0;
  t.equal(c.hearAll([heard, heard, { ...heard, address: parseAddress('c1:02:03:04:05:07') }]), 2);
  t.equal(received.length, 2);
  t.equal(c.counters().duplicatesFiltered, 1);
  c.receive(link, Buffer.from([0x01, 0x0c, 0x20, 0x02, 0x00, 0x00])); // off
  c.receive(link, Buffer.from([0x01, 0x0c, 0x20, 0x02, 0x01, 0x01])); // on again: the list starts empty
  t.equal(c.hear(heard), true);
});

t.test('scan responses are only heard by active scanners', async (t) => {
  const { c, link } = controllerWithHost();
  c.receive(link, SET_EVENT_MASK);
  c.receive(link, LE_SCAN_ENABLE_ON); // default scan type after reset: passive
  t.equal(c.hear({ ...heard, eventType: AdvEventType.SCAN_RSP }), false);
});

t.test('commands are echoed to other hosts whose filter takes command packets', async (t) => {
  const c = new VirtualHciController();
  const a = recordingHost();
  const b = recordingHost((p) => p[0] !== 0x01); // like bleno's filter: events only
  const sniffer = recordingHost();
  c.attach(a.link);
  c.attach(b.link);
  c.attach(sniffer.link);
  c.receive(a.link, Buffer.from([0x01, 0x0c, 0x20, 0x02, 0x00, 0x01]));
  const complete = hex([0x04, 0x0e, 0x04, 0x01, 0x0c, 0x20, 0x00]);
  t.same(a.received, [complete], 'the sender gets no echo');
  t.same(b.received, [complete]);
  t.same(sniffer.received, ['010c20020001', complete], 'echo first, then the Command Complete');
});

t.test('Reset clears scanning and advertising', async (t) => {
  const { c, link } = controllerWithHost();
  c.receive(link, LE_SCAN_ENABLE_ON);
  c.receive(link, Buffer.from([0x01, 0x0a, 0x20, 0x01, 0x01]));
  c.receive(link, Buffer.from([0x01, 0x03, 0x0c, 0x00]));
  t.equal(c.scanning().enabled, false);
  t.equal(c.advertising().enabled, false);
});

t.test('the virtual socket delivers asynchronously and binds by device id', async (t) => {
  const hub = new VirtualHciHub();
  hub.add(2);
  const Socket = virtualHciSocketClass(hub);
  const s = new Socket();
  t.throws(() => s.bindRaw(7), { code: 'ENODEV' });
  t.equal(s.bindRaw(), 2, 'without an id: the first device that is up');
  t.same(s.getDeviceList(), [{ devId: 2, devUp: true, idVendor: null, idProduct: null, busNumber: null, deviceAddress: null }]);
  const got: string[] = [];
  s.on('data', (d: Buffer) => got.push(d.toString('hex')));
  s.start();
  s.write(Buffer.from([0x01, 0x03, 0x0c, 0x00]));
  t.same(got, [], 'nothing synchronously');
  await new Promise((r) => setImmediate(r));
  t.same(got, ['040e0401030c00']);
  hub.get(2)!.setPowered(false);
  t.equal(s.isDevUp(), false);
  const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
    s.once('error', resolve);
    s.write(Buffer.from([0x01, 0x03, 0x0c, 0x00]));
  });
  t.equal(err.code, 'ENETDOWN');
  t.equal(err.message, 'ENETDOWN, Network is down');
  s.close();
  t.equal(hub.get(2)!.hostCount, 0);
});

// ---- connections ----------------------------------------------------------------------
// LE Create Connection used to be answered 0x11 (unsupported); the hub now links a central
// that initiates to a peripheral advertising connectable, and the controllers carry ACL.

/** LE Set Advertising Parameters (ADV_IND, 100 ms) then LE Set Advertising Enable. */
const ADVERTISE_CONNECTABLE = [
  Buffer.from([0x01, 0x06, 0x20, 0x0f, 0xa0, 0x00, 0xa0, 0x00, /* ADV_IND */ 0x00, /* own public */ 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0x07, 0x00]),
  Buffer.from([0x01, 0x0a, 0x20, 0x01, 0x01]),
];

/** LE Create Connection to public b8:27:eb:00:00:02, as noble sends it (interval 7.5-22.5 ms, timeout 420 ms). */
const CREATE_CONNECTION = Buffer.from([
  0x01, 0x0d, 0x20, 0x19, // command, opcode 0x200d, 25 parameter bytes
  0x60, 0x00, 0x30, 0x00, // LE_Scan_Interval, LE_Scan_Window
  0x00, // Initiator_Filter_Policy: use the peer address
  0x00, // Peer_Address_Type: public
  0x02, 0x00, 0x00, 0xeb, 0x27, 0xb8, // b8:27:eb:00:00:02 reversed
  0x00, // Own_Address_Type: public
  0x06, 0x00, 0x12, 0x00, // Connection_Interval_Min 6, Max 18
  0x00, 0x00, // Max_Latency
  0x2a, 0x00, // Supervision_Timeout 42 (420 ms)
  0x04, 0x00, 0x06, 0x00, // Min/Max_CE_Length
]);

t.test('LE Create Connection meets connectable advertising: both hosts get LE Connection Complete', async (t) => {
  const hub = new VirtualHciHub();
  const peripheral = hub.add(1); // public address b8:27:eb:00:00:02
  const central = hub.add(2); // b8:27:eb:00:00:03
  const c = recordingHost();
  const p = recordingHost();
  central.attach(c.link);
  peripheral.attach(p.link);
  central.receive(c.link, SET_EVENT_MASK);
  peripheral.receive(p.link, SET_EVENT_MASK);
  c.received.length = 0;
  central.receive(c.link, CREATE_CONNECTION);
  await Promise.resolve();
  t.same(c.received, [hex([0x04, 0x0f, 0x04, /* success */ 0x00, 0x01, 0x0d, 0x20])], 'Command Status; the peer is not advertising yet');
  t.ok(central.initiating);

  for (const cmd of ADVERTISE_CONNECTABLE) peripheral.receive(p.link, cmd);
  p.received.length = 0;
  await Promise.resolve();
  t.same(c.received.slice(1), [hex([
    0x04, 0x3e, 0x13, 0x01, // LE Meta, 19 bytes, LE Connection Complete
    0x00, // status
    0x40, 0x00, // Connection_Handle 0x0040
    0x00, // Role: central
    0x00, 0x02, 0x00, 0x00, 0xeb, 0x27, 0xb8, // peer public b8:27:eb:00:00:02
    0x06, 0x00, 0x00, 0x00, 0x2a, 0x00, // interval 6 (7.5 ms), latency 0, timeout 42
    0x00, // clock accuracy
  ])]);
  t.same(p.received, [hex([
    0x04, 0x3e, 0x13, 0x01, 0x00, 0x40, 0x00,
    0x01, // Role: peripheral
    0x00, 0x03, 0x00, 0x00, 0xeb, 0x27, 0xb8, // peer public b8:27:eb:00:00:03
    0x06, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00,
  ])]);
  t.equal(peripheral.advertising().enabled, false, 'connectable advertising ends with the connection');
  t.equal(central.initiating, null);
  t.equal(hub.links().length, 1);
  t.match(hub.links()[0], { central: { devId: 2, handle: 0x40 }, peripheral: { devId: 1, handle: 0x40 } });

  // ACL: a 40-byte L2CAP frame from the central's host reaches the peripheral's host in
  // 27-byte link-layer payloads, and the central's host gets its buffer back
  c.received.length = 0;
  p.received.length = 0;
  const l2cap = Buffer.alloc(40);
  l2cap.writeUInt16LE(36, 0); // L2CAP length
  l2cap.writeUInt16LE(0x0004, 2); // ATT channel
  l2cap[4] = 0x12; // Write Request ...
  const acl = Buffer.concat([Buffer.from([0x02, 0x40, 0x00 /* handle 0x040, PB 00 */, 40, 0]), l2cap]);
  central.receive(c.link, acl);
  t.same(c.received, [hex([0x04, 0x13, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00])], 'Number Of Completed Packets: 1 on 0x0040');
  t.equal(p.received.length, 2);
  t.equal(p.received[0].slice(0, 10), '024020' + '1b00', 'first fragment: PB 10 (start), 27 bytes');
  t.equal(p.received[1].slice(0, 10), '024010' + '0d00', 'continuation: PB 01, 13 bytes');
  t.equal(Buffer.concat(p.received.map((h) => Buffer.from(h, 'hex').subarray(5))).toString('hex'), l2cap.toString('hex'));
  t.match(central.counters(), { aclFromHost: 1, aclDropped: 0 });
  t.match(peripheral.counters(), { aclToHost: 2 });

  // an ACL packet on a handle with no connection is dropped, with no completed-packets event
  c.received.length = 0;
  central.receive(c.link, Buffer.from([0x02, 0x41, 0x00, 0x01, 0x00, 0xff]));
  t.same(c.received, []);
  t.equal(central.counters().aclDropped, 1);
});

t.test('Read RSSI on a connection returns the link RSSI the hub was given', async (t) => {
  const hub = new VirtualHciHub();
  const peripheral = hub.add(1);
  const central = hub.add(2);
  const c = recordingHost();
  central.attach(c.link);
  central.receive(c.link, SET_EVENT_MASK);
  const p = recordingHost();
  peripheral.attach(p.link);
  peripheral.receive(p.link, SET_EVENT_MASK);
  for (const cmd of ADVERTISE_CONNECTABLE) peripheral.receive(p.link, cmd);
  central.receive(c.link, CREATE_CONNECTION);
  await Promise.resolve();
  hub.setLinkRssi(1, 2, -41);
  c.received.length = 0;
  p.received.length = 0;
  central.receive(c.link, Buffer.from([0x01, 0x05, 0x14, 0x02, 0x40, 0x00])); // Read RSSI, handle 0x0040
  peripheral.receive(p.link, Buffer.from([0x01, 0x05, 0x14, 0x02, 0x40, 0x00]));
  t.same(c.received, [hex([0x04, 0x0e, 0x07, 0x01, 0x05, 0x14, 0x00, 0x40, 0x00, /* -41 */ 0xd7])]);
  t.same(p.received, c.received, 'both ends read the same link');
  c.received.length = 0;
  central.receive(c.link, Buffer.from([0x01, 0x05, 0x14, 0x02, 0x41, 0x00])); // no such handle
  t.same(c.received, [hex([0x04, 0x0e, 0x07, 0x01, 0x05, 0x14, 0x02, 0x41, 0x00, 0x00])]);

  // noise: readings spread around the mean
  hub.setLinkRssi(1, 2, -60, 4);
  const readings = new Set<number>();
  for (let i = 0; i < 50; i++) readings.add(hub.links()[0].link.readRssi());
  t.ok(readings.size > 3, `${readings.size} distinct readings`);
  t.ok([...readings].every((r) => r > -90 && r < -30));
});

t.test('Disconnect: Command Status, then Disconnection Complete to both hosts; the handle is gone', async (t) => {
  const hub = new VirtualHciHub();
  const peripheral = hub.add(1);
  const central = hub.add(2);
  const c = recordingHost();
  const p = recordingHost();
  central.attach(c.link);
  peripheral.attach(p.link);
  for (const cmd of ADVERTISE_CONNECTABLE) peripheral.receive(p.link, cmd);
  central.receive(c.link, CREATE_CONNECTION);
  await Promise.resolve();
  c.received.length = 0;
  p.received.length = 0;
  central.receive(c.link, Buffer.from([0x01, 0x06, 0x04, 0x03, 0x40, 0x00, 0x13])); // Disconnect 0x0040, remote user terminated
  t.same(c.received, [
    hex([0x04, 0x0f, 0x04, 0x00, 0x01, 0x06, 0x04]), // Command Status: success
    hex([0x04, 0x05, 0x04, 0x00, 0x40, 0x00, /* connection terminated by local host */ 0x16]),
  ]);
  t.same(p.received, [hex([0x04, 0x05, 0x04, 0x00, 0x40, 0x00, /* remote user terminated */ 0x13])]);
  t.equal(hub.links().length, 0);
  t.same(central.connections(), []);
});

t.test('LE Create Connection Cancel ends the attempt with LE Connection Complete, status 0x02', async (t) => {
  const hub = new VirtualHciHub();
  const central = hub.add(2);
  const c = recordingHost();
  central.attach(c.link);
  central.receive(c.link, SET_EVENT_MASK);
  central.receive(c.link, CREATE_CONNECTION);
  central.receive(c.link, CREATE_CONNECTION);
  t.equal(c.received[2], hex([0x04, 0x0f, 0x04, /* Command Disallowed: already initiating */ 0x0c, 0x01, 0x0d, 0x20]));
  c.received.length = 0;
  central.receive(c.link, Buffer.from([0x01, 0x0e, 0x20, 0x00]));
  t.same(c.received, [
    hex([0x04, 0x0e, 0x04, 0x01, 0x0e, 0x20, 0x00]),
    hex([0x04, 0x3e, 0x13, 0x01, /* Unknown Connection Identifier */ 0x02, 0x00, 0x00, 0x00, 0x00,
      0x02, 0x00, 0x00, 0xeb, 0x27, 0xb8, 0x06, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00]),
  ]);
  t.equal(central.initiating, null);
});

t.test('LE Connection Update reaches both ends; removing a controller drops its links', async (t) => {
  const hub = new VirtualHciHub();
  const peripheral = hub.add(1);
  const central = hub.add(2);
  const c = recordingHost();
  const p = recordingHost();
  central.attach(c.link);
  peripheral.attach(p.link);
  central.receive(c.link, SET_EVENT_MASK);
  peripheral.receive(p.link, SET_EVENT_MASK);
  for (const cmd of ADVERTISE_CONNECTABLE) peripheral.receive(p.link, cmd);
  central.receive(c.link, CREATE_CONNECTION);
  await Promise.resolve();
  c.received.length = 0;
  p.received.length = 0;
  central.receive(c.link, Buffer.from([
    0x01, 0x13, 0x20, 0x0e, // LE Connection Update, 14 bytes
    0x40, 0x00, 0x18, 0x00, 0x28, 0x00, // handle, interval 24..40 (30..50 ms)
    0x00, 0x00, 0xc8, 0x00, 0x00, 0x00, 0x00, 0x00, // latency 0, timeout 200 (2 s), CE lengths
  ]));
  const update = hex([0x04, 0x3e, 0x0a, 0x03, 0x00, 0x40, 0x00, 0x18, 0x00, 0x00, 0x00, 0xc8, 0x00]);
  t.same(c.received, [hex([0x04, 0x0f, 0x04, 0x00, 0x01, 0x13, 0x20]), update]);
  t.same(p.received, [update]);

  p.received.length = 0;
  hub.remove(2);
  t.same(p.received, [hex([0x04, 0x05, 0x04, 0x00, 0x40, 0x00, /* connection timeout */ 0x08])]);
  t.same(peripheral.connections(), []);
});
