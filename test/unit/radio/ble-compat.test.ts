import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isWaymarkError, type WaymarkError } from '../../../core/errors.js';
import { assertSupportedVersion, classifyNobleWarning, installedVersion, SUPPORTED_VERSIONS } from '../../../kiosk/radio/ble-compat.js';

// noble 1.9.2-26's own texts: lib/noble.js emits them as 'warning' events, lib/hci-socket/bindings.js
// and hci.js console.warn them with their prefix. The foreign ones are what a shared adapter
// produces when bleno reads its central's RSSI or its central leaves.
const FOREIGN = [
  'unknown peripheral undefined RSSI update!', // noble.js onRssiUpdate: bleno's HCI Read RSSI answer
  'noble warning: unknown handle 64 disconnected!', // bindings.js onDisconnComplete: bleno's central left
  'unknown handle 3585 disconnected!',
  'unknown peripheral undefined connected!',
  'unknown peripheral null connected!', // a failed LE Create Connection noble did not start
  'unknown peripheral undefined disconnected!',
  'noble: unknown peripheral undefined RSSI update!', // as noble.js prints it with no listener
];
const GENUINE = [
  'calling startScanning(callback) is deprecated',
  'calling startScanning(serviceUuids, callback) is deprecated',
  'Initialization of USB device failed: LIBUSB_ERROR_ACCESS',
  'unknown peripheral c10203040506 RSSI update!', // noble lost one of its own peripherals
  'unknown peripheral c10203040506 disconnected!',
  'unknown peripheral c10203040506, 180a services discover!',
  'noble warning: unknown peripheral c10203040506', // bindings.js: a call about a peripheral it does not hold
  'processLeAdvertisingReport: Caught illegal packet (buffer overflow): RangeError [ERR_OUT_OF_RANGE]',
  'noble warning: unknown handle disconnected!',
];

t.test("noble's warnings about connections it does not hold are foreign; everything else is genuine", async (t) => {
  for (const text of FOREIGN) t.equal(classifyNobleWarning(text).kind, 'foreign', text);
  for (const text of GENUINE) t.equal(classifyNobleWarning(text).kind, 'genuine', text);
});

t.test('the message loses only noble\'s prefix', async (t) => {
  t.same(classifyNobleWarning('noble warning: unknown handle 64 disconnected!'), { kind: 'foreign', message: 'unknown handle 64 disconnected!' });
  t.same(classifyNobleWarning('noble: calling startScanning(callback) is deprecated'), { kind: 'genuine', message: 'calling startScanning(callback) is deprecated' });
  t.same(classifyNobleWarning('processLeAdvertisingReport: Caught illegal packet'), { kind: 'genuine', message: 'processLeAdvertisingReport: Caught illegal packet' });
});

function thrown(fn: () => void): WaymarkError {
  try {
    fn();
  } catch (err) {
    return err as WaymarkError;
  }
  throw new Error('did not throw');
}

t.test('another noble or bleno version than the one ble-compat.ts knows is refused, naming both', async (t) => {
  for (const [library, other] of [['noble', '1.9.2-25'], ['bleno', '0.6.3']] as const) {
    const err = thrown(() => assertSupportedVersion(library, () => other));
    t.ok(isWaymarkError(err, 'WAYMARK_ERR_RADIO_UNAVAILABLE'), String(err));
    t.match(err.message, `@abandonware/${library} ${other} is installed`);
    t.match(err.message, `exactly ${SUPPORTED_VERSIONS[library]}`);
    t.same(err.details, { library: `@abandonware/${library}`, installed: other, expected: SUPPORTED_VERSIONS[library] });
    t.doesNotThrow(() => assertSupportedVersion(library, () => SUPPORTED_VERSIONS[library]));
  }
});

t.test('a library that is not installed is refused too', async (t) => {
  const missing = () => {
    throw Object.assign(new Error("Cannot find module '@abandonware/bleno/package.json'"), { code: 'MODULE_NOT_FOUND' });
  };
  const err = thrown(() => assertSupportedVersion('bleno', missing));
  t.ok(isWaymarkError(err, 'WAYMARK_ERR_RADIO_UNAVAILABLE'), String(err));
  t.match(err.message, '@abandonware/bleno is not installed (Waymark needs exactly 0.6.2)');
});

t.test('the installed libraries, package.json and ble-compat.ts agree on exact versions', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  for (const library of ['noble', 'bleno'] as const) {
    t.equal(pkg.dependencies[`@abandonware/${library}`], SUPPORTED_VERSIONS[library], `package.json pins ${library} exactly`);
    t.equal(installedVersion(library), SUPPORTED_VERSIONS[library], `node_modules has ${library} ${SUPPORTED_VERSIONS[library]}`);
    t.doesNotThrow(() => assertSupportedVersion(library));
  }
});

// An architecture rule: noble's and bleno's private fields are reached only in ble-compat.ts,
// so a library upgrade has one file to port.
t.test('only ble-compat.ts touches private fields (obj._x) in kiosk/radio/ and sim/', async (t) => {
  const files: string[] = [];
  const walk = (dir: URL) => {
    for (const name of readdirSync(dir)) {
      const url = new URL(name, dir);
      if (statSync(url).isDirectory()) walk(new URL(`${name}/`, dir));
      else if (name.endsWith('.ts')) files.push(url.pathname);
    }
  };
  walk(new URL('../../../kiosk/radio/', import.meta.url));
  walk(new URL('../../../sim/', import.meta.url));
  t.ok(files.some((f) => f.endsWith('/kiosk/radio/ble-compat.ts')));
  t.ok(files.length >= 15, `${files.length} files`);
  for (const f of files.filter((f) => !f.endsWith('/kiosk/radio/ble-compat.ts'))) {
    const src = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    t.notMatch(src, /\??\.\s*_[a-zA-Z]|\[['"]_[a-zA-Z]/, f.slice(f.lastIndexOf('/', f.lastIndexOf('/') - 1) + 1));
  }
});
