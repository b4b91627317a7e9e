/** `waymark visitor scan`: listen like a phone for kiosk beacons, verify them, print positions. */
import type { CliCommand } from '../command.js';
import { systemClock } from '../../core/clock.js';
import { silentLogger } from '../../core/log.js';
import { BeaconAssembler, fromHex, kioskIdFromPublicKey, toHex } from '../../beacon/index.js';
import type { VerifiedPosition } from '../../sim/beacon-listener.js';
import { createNobleScanner } from '../../kiosk/radio/noble-scanner.js';
import { connectProvider, registryClient } from '../../contracts/client.js';
import { listBeaconKeys } from '../../contracts/actions/list-beacon-keys.js';
import { addressFlag, booleanFlag, intFlag, parseHex, positiveNumberFlag, stringsFlag, urlFlag, usage } from '../flags.js';

export const visitorScanCommand: CliCommand = {
  name: 'visitor scan',
  summary: 'Listen for kiosk beacons like a phone, verify them offline and print the positions',
  options: {
    pubkey: { type: 'string', multiple: true, description: 'a kiosk beacon public key (64 hex digits); repeat for several kiosks' },
    rpc: { type: 'string', description: 'download every beacon key the registry vouches for from this JSON-RPC node' },
    registry: { type: 'string', description: 'registry contract address (with --rpc)' },
    hci: { type: 'string', description: 'HCI device to scan with (hci0 = 0)', default: '0' },
    demo: { type: 'boolean', description: 'start a demo kiosk in this process and listen to its beacon on the virtual air' },
    duration: { type: 'string', description: 'seconds to listen', default: '10' },
    json: { type: 'boolean', description: 'print each position as a JSON line, then a summary line' },
  },
  usage: `Examples:
  waymark visitor scan --demo --duration 5 --json
  waymark visitor scan --pubkey d75a98...511a --hci 0
  waymark visitor scan --rpc http://node:8545 --registry 0x5FbD…0aa3 --hci 0`,
  async run({ values }, io) {
    const duration = positiveNumberFlag(values, 'duration', { unit: 'seconds', required: true });
    const json = booleanFlag(values, 'json');
    const print = (p: VerifiedPosition) => io.stdout(json
      ? JSON.stringify(p) + '\n'
      : `${new Date(p.time).toISOString()}  kiosk ${p.kiosk}  at ${p.geohash}  epoch ${p.epoch}  ${p.rssi ?? '?'} dBm\n`);
    let stop: () => Promise<void>;
    let stats: () => unknown;
    if (booleanFlag(values, 'demo')) {
      const { startDemo } = await import('../../sim/demo.js');
      const demo = await startDemo({ port: 0, speed: 1, logger: silentLogger, onBeaconPosition: print });
      stop = () => demo.stop();
      stats = () => demo.summary().beacon;
    } else {
      const keys = stringsFlag(values, 'pubkey').map((hex) => parseHex('pubkey', hex, 32));
      const rpc = urlFlag(values, 'rpc');
      const registry = addressFlag(values, 'registry');
      const hci = intFlag(values, 'hci', { min: 0, max: 63, required: true });
      if (rpc) {
        if (!registry) usage('--rpc needs --registry 0x… (the registry address)', 'registry');
        const provider = connectProvider(rpc);
        try {
          for (const k of await listBeaconKeys(registryClient(provider, registry))) keys.push(fromHex(k.beaconKey));
        } finally {
          provider.destroy();
        }
        io.stderr(`${keys.length} beacon key(s) known\n`);
      }
      if (keys.length === 0) usage('give at least one --pubkey, or --rpc and --registry (or --demo)');
      const map = Object.fromEntries(keys.map((k) => [toHex(kioskIdFromPublicKey(k)), k]));
      const scanner = createNobleScanner({ deviceId: hci, socket: 'native', clock: systemClock });
      const { BeaconListener } = await import('../../sim/beacon-listener.js');
      const listener = new BeaconListener({ scanner, keyFor: BeaconAssembler.keysFrom(map), onPosition: print });
      await scanner.start();
      stop = () => scanner.close();
      stats = () => listener.stats();
    }
    await new Promise<void>((done) => {
      const timer = setTimeout(done, duration * 1000);
      io.signal.addEventListener('abort', () => { clearTimeout(timer); done(); }, { once: true });
    });
    const summary = stats();
    await stop();
    if (json) io.stdout(JSON.stringify({ summary }) + '\n');
    else io.stdout(`summary: ${JSON.stringify(summary)}\n`);
    return 0;
  },
};
