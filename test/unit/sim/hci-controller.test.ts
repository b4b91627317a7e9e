import t from 'tap';
import { AdvEventType, parseAddress, type AirPacket } from '../../../firmware-bridge/sim/air.js';
import { VirtualHciController, type HciHostLink } from '../../../firmware-bridge/sim/hci-controller.js';
import { VirtualHciHub } from '../../../firmware-bridge/sim/hci-hub.js';
import { virtualHciSocketClass } from '../../../firmware-bridge/sim/hci-socket.js';

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

t.test('Disconnect gets Command Status "unknown connection" (there are no connections)', async (t) => {
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
