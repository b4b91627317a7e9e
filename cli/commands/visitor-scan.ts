/** `waymark visitor scan`: listen like a phone for kiosk beacons, verify them, print positions. */
import type { CliCommand } from '../command.js';
import { WaymarkError } from '../../core/errors.js';
import { systemClock } from '../../core/clock.js';
import { silentLogger } from '../../core/log.js';
import { BeaconAssembler, fromHex, kioskIdFromPublicKey, toHex } from '../../beacon/index.js';
import type { VerifiedPosition } from '../../sim/beacon-listener.js';
import { createNobleScanner } from '../../kiosk/radio/noble-scanner.js';
import { numberFlag } from './replay.js';
import { connectProvider, registryClient } from '../../contracts/client.js';
import { listBeaconKeys } from '../../contracts/actions/list-beacon-keys.js';
import { intFlag } from './demo.js';

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
    const duration = numberFlag('duration', values.duration as string);
    if (!(duration > 0)) throw new WaymarkError('WAYMARK_ERR_USAGE', `--duration must be > 0, got ${duration}`);
    const json = values.json === true;
    const print = (p: VerifiedPosition) => io.stdout(json
      ? JSON.stringify(p) + '\n'
      : `${new Date(p.time).toISOString()}  kiosk ${p.kiosk}  at ${p.geohash}  epoch ${p.epoch}  ${p.rssi ?? '?'} dBm\n`);
    let stop: () => Promise<void>;
    let stats: () => unknown;
    if (values.demo) {
      const { startDemo } = await import('../../sim/demo.js');
      const demo = await startDemo({ port: 0, speed: 1, logger: silentLogger, onBeaconPosition: print });
      stop = () => demo.stop();
      stats = () => demo.summary().beacon;
    } else {
      const keys = ((values.pubkey as string[] | undefined) ?? []).map((hex) => {
        if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new WaymarkError('WAYMARK_ERR_USAGE', `--pubkey must be 64 hex digits, got '${hex}'`);
        return fromHex(hex);
      });
      if (values.rpc) {
        if (!/^0x[0-9a-fA-F]{40}$/.test((values.registry as string | undefined) ?? '')) throw new WaymarkError('WAYMARK_ERR_USAGE', '--rpc needs --registry 0x… (the registry address)');
        const provider = connectProvider(values.rpc as string);
        try {
          for (const k of await listBeaconKeys(registryClient(provider, values.registry as string))) keys.push(fromHex(k.beaconKey));
        } finally {
          provider.destroy();
        }
        io.stderr(`${keys.length} beacon key(s) known\n`);
      }
      if (keys.length === 0) throw new WaymarkError('WAYMARK_ERR_USAGE', 'give at least one --pubkey, or --rpc and --registry (or --demo)');
      const map = Object.fromEntries(keys.map((k) => [toHex(kioskIdFromPublicKey(k)), k]));
      const scanner = createNobleScanner({ deviceId: intFlag('hci', values.hci as string, 0, 63), socket: 'native', clock: systemClock });
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
