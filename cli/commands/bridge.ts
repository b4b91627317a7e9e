/** `waymark bridge simulate|probe`: a simulated co-processor on a pseudo-terminal, and a handshake with any board. */
import { resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { systemClock, ScaledClock } from '../../core/clock.js';
import { SerialLink } from '../../firmware-bridge/link.js';
import { loadNativeBinding } from '../../firmware-bridge/radio/serial-radio.js';
import { formatAddress } from '../../core/address.js';
import { booleanFlag, intFlag, numberFlag, stringFlag } from '../flags.js';

export const bridgeSimulateCommand: CliCommand = {
  name: 'bridge simulate',
  summary: 'Serve the simulated co-processor firmware on a new pseudo-terminal linked at PATH',
  options: {
    link: { type: 'string', description: 'make PATH a symlink to the device end (as socat link=); required' },
    seed: { type: 'string', description: 'seed of the simulated venue the board hears', default: '1' },
    speed: { type: 'string', description: 'simulated seconds per wall second', default: '1' },
    'tap-every': { type: 'string', description: 'simulated NFC tap every this many simulated seconds (0: none)', default: '0' },
  },
  usage: `Needs util-linux \`script\` (Debian's essential bsdutils package) to allocate the pty.
Runs until SIGINT/SIGTERM; the link is removed at exit. Point a kiosk at it with
radio.adapter "serial" and radio.serialPort PATH, or: waymark bridge probe --port PATH

Examples:
  waymark bridge simulate --link /tmp/ttyWAYMARK
  waymark bridge simulate --link /tmp/ttyWAYMARK --speed 30 --tap-every 20`,
  async run({ values }, io) {
    const link = resolve(io.cwd, stringFlag(values, 'link', { required: 'PATH' }));
    const seed = intFlag(values, 'seed', { min: 0, max: 2 ** 32 - 1, required: true });
    const speed = numberFlag(values, 'speed', { above: 0, max: 10_000, required: true });
    const tapEveryS = numberFlag(values, 'tap-every', { min: 0, unit: 'simulated seconds', required: true });
    const clock = new ScaledClock(speed);
    const { SimulatedBoard } = await import('../../sim/simulated-board.js');
    const board = await SimulatedBoard.start({ clock, link, venue: { seed }, tapEveryS });
    io.stdout(`simulated co-processor on ${board.path}, linked at ${link} (Ctrl-C to stop)\n`);
    await new Promise<void>((done) => io.signal.addEventListener('abort', () => done(), { once: true }));
    const s = board.stats();
    await board.stop();
    io.stdout(`stopped: ${s.packetsOnAir} packets on air, ${s.reportsSent} reported, ${s.tapsMade} taps\n`);
    return 0;
  },
};

export const bridgeProbeCommand: CliCommand = {
  name: 'bridge probe',
  summary: 'Handshake with a co-processor and print its firmware version and capabilities',
  options: {
    port: { type: 'string', description: 'serial device (e.g. /dev/ttyACM0) or a `bridge simulate` link; required' },
    json: { type: 'boolean', description: 'print one JSON object' },
    'baud-rate': { type: 'string', description: 'UART speed (USB CDC ignores it)', default: '1000000' },
  },
  usage: `Exit 0 when the board answered HELLO and DEVICE_INFO, 1 otherwise (no device,
no answer, protocol version refused).`,
  async run({ values }, io) {
    const path = resolve(io.cwd, stringFlag(values, 'port', { required: 'PATH' }));
    const baudRate = intFlag(values, 'baud-rate', { min: 1, max: 16_000_000, required: true });
    const link = new SerialLink({ path, binding: loadNativeBinding(), baudRate, heartbeatIntervalMs: 0 });
    try {
      const started = systemClock.now();
      const caps = await link.open();
      const info = await link.request('DEVICE_INFO', {});
      const result = {
        port: path,
        protocolVersion: caps.protocolVersion,
        firmwareVersion: caps.firmwareVersion,
        board: info.board,
        address: formatAddress(info.address),
        addressType: info.addressType === 1 ? 'random' : 'public',
        uptimeMs: info.uptimeMs,
        capabilities: {
          extendedAdvertising: caps.extendedAdvertising,
          nfc: caps.nfc,
          activeScan: caps.activeScan,
          codedPhy: caps.codedPhy,
        },
        maxAdvDataLength: caps.maxAdvDataLength,
        maxPayloadLength: caps.maxPayloadLength,
        handshakeMs: systemClock.now() - started,
      };
      if (booleanFlag(values, 'json')) io.stdout(JSON.stringify(result) + '\n');
      else {
        const on = Object.entries(result.capabilities).filter(([, v]) => v).map(([k]) => k);
        io.stdout(`${path}: ${result.board}, firmware ${result.firmwareVersion}, protocol ${result.protocolVersion}\n`);
        io.stdout(`  address:      ${result.address} (${result.addressType})\n`);
        io.stdout(`  capabilities: ${on.length ? on.join(', ') : 'none'}\n`);
        io.stdout(`  limits:       ${result.maxAdvDataLength} bytes of advertising data, ${result.maxPayloadLength}-byte payloads\n`);
      }
      return 0;
    } finally {
      await link.close();
    }
  },
};

export const bridgeCommands: CliCommand[] = [bridgeSimulateCommand, bridgeProbeCommand];
