/** `waymark demo`: a kiosk on the simulated venue with the real page (what `npm start` runs). */
import { resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { WaymarkError } from '../../core/errors.js';
import { createLogger, silentLogger } from '../../core/log.js';
import { formatSummary } from './summary.js';
import { numberFlag } from './replay.js';

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'Run a kiosk on a simulated venue (simulated radio, temp data dir, real HTTP page)',
  options: {
    port: { type: 'string', description: 'HTTP port; 0 picks a free one', default: '8080' },
    host: { type: 'string', description: 'HTTP address to listen on', default: '127.0.0.1' },
    seed: { type: 'string', description: 'seed of the simulated venue (same seed, same venue)', default: '1' },
    speed: { type: 'string', description: 'simulated seconds per wall second', default: '1' },
    duration: { type: 'string', description: 'stop after this many wall seconds and print a summary' },
    json: { type: 'boolean', description: 'with --duration: print the summary as one JSON object' },
    'data-dir': { type: 'string', description: 'keep the store in this directory (default: a temp dir, removed at exit)' },
    capture: { type: 'string', description: 'write the venue traffic as a btsnoop capture to this file' },
    radio: { type: 'string', description: 'hci: virtual HCI controller under noble; serial: simulated co-processor on a pty', default: 'hci' },
    rpc: { type: 'string', description: "anchor on this EVM node (anvil's dev accounts) instead of an embedded anvil" },
    'no-chain': { type: 'boolean', description: 'do not anchor batches on a chain' },
  },
  usage: `Examples:
  npm start                                       # same as: waymark demo
  waymark demo --port 0 --speed 60                # any free port, an hour a minute
  waymark demo --duration 20 --speed 30 --json    # one JSON summary after 20 s
  waymark demo --radio serial                     # the venue through a simulated co-processor on a pty`,
  async run({ values }, io) {
    const port = intFlag('port', values.port as string, 0, 65535);
    const seed = intFlag('seed', values.seed as string, 0, 2 ** 32 - 1);
    const speed = numberFlag('speed', values.speed as string);
    if (!(speed > 0 && speed <= 10_000)) throw new WaymarkError('WAYMARK_ERR_USAGE', `--speed must be in (0, 10000], got ${speed}`);
    const duration = values.duration === undefined ? undefined : numberFlag('duration', values.duration as string);
    if (duration !== undefined && !(duration > 0)) throw new WaymarkError('WAYMARK_ERR_USAGE', `--duration must be > 0 seconds, got ${duration}`);
    const json = values.json === true;
    if (json && duration === undefined) throw new WaymarkError('WAYMARK_ERR_USAGE', '--json needs --duration (the summary is printed when the demo ends)');
    const rpcUrl = values.rpc as string | undefined;
    if (rpcUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(rpcUrl)) throw new WaymarkError('WAYMARK_ERR_USAGE', `--rpc must be an http(s) URL, got '${rpcUrl}'`);
    if (rpcUrl !== undefined && values['no-chain']) throw new WaymarkError('WAYMARK_ERR_USAGE', '--rpc and --no-chain exclude each other');
    const radio = values.radio as string;
    if (radio !== 'hci' && radio !== 'serial') throw new WaymarkError('WAYMARK_ERR_USAGE', `--radio must be hci or serial, got '${radio}'`);
    const logger = json ? silentLogger : createLogger({ destination: 2, level: io.env.WAYMARK_LOG_LEVEL ?? 'warn' });

    // the simulator is loaded only by the commands that run it
    const { startDemo } = await import('../../sim/demo.js');
    const demo = await startDemo({
      seed, speed, port, host: values.host as string, logger,
      dataDir: values['data-dir'] ? resolve(io.cwd, values['data-dir'] as string) : undefined,
      capturePath: values.capture ? resolve(io.cwd, values.capture as string) : undefined,
      radio,
      rpcUrl,
      chain: values['no-chain'] !== true,
    });
    if (!json) {
      io.stdout(`Waymark demo kiosk "${demo.kiosk.config.venue.name}" on ${demo.radio.scanner.name}\n`);
      io.stdout(`  kiosk screen: ${demo.url}\n  status:       ${demo.url}v1/status\n`);
      io.stdout(`  data dir:     ${values['data-dir'] ? demo.dataDir : demo.dataDir + ' (temporary)'}\n`);
      if (demo.chain) io.stdout(`  chain:        ${demo.chain.rpcUrl} registry ${demo.chain.registry} venue ${demo.chain.venueId}; batches: ${demo.url}v1/batches\n`);
      io.stdout(duration === undefined ? '  Ctrl-C to stop.\n' : `  running for ${duration} s at x${speed}...\n`);
    }
    await new Promise<void>((done) => {
      const timer = duration === undefined ? undefined : setTimeout(done, duration * 1000);
      io.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        done();
      }, { once: true });
    });
    await demo.stop();
    const summary = demo.summary();
    io.stdout(json ? JSON.stringify(summary) + '\n' : 'Summary:\n' + formatSummary(summary));
    return 0;
  },
};

export function intFlag(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) {
    throw new WaymarkError('WAYMARK_ERR_USAGE', `--${name} must be a whole number from ${min} to ${max}, got '${text}'`);
  }
  return n;
}
