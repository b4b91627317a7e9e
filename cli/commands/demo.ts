/** `waymark demo`: a kiosk on the simulated venue with the real page (what `npm start` runs). */
import { resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { createLogger, silentLogger } from '../../core/log.js';
import { formatSummary } from './summary.js';
import { booleanFlag, choiceFlag, intFlag, numberFlag, positiveNumberFlag, stringFlag, urlFlag, usage } from '../flags.js';

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
    const port = intFlag(values, 'port', { min: 0, max: 65535, required: true });
    const seed = intFlag(values, 'seed', { min: 0, max: 2 ** 32 - 1, required: true });
    const speed = numberFlag(values, 'speed', { above: 0, max: 10_000, required: true });
    const duration = positiveNumberFlag(values, 'duration', { unit: 'seconds' });
    const json = booleanFlag(values, 'json');
    if (json && duration === undefined) usage('--json needs --duration (the summary is printed when the demo ends)', 'json');
    const rpcUrl = urlFlag(values, 'rpc');
    if (rpcUrl !== undefined && booleanFlag(values, 'no-chain')) usage('--rpc and --no-chain exclude each other', 'rpc');
    const radio = choiceFlag(values, 'radio', ['hci', 'serial'], { required: true });
    const dataDir = stringFlag(values, 'data-dir');
    const capture = stringFlag(values, 'capture');
    const logger = json ? silentLogger : createLogger({ destination: 2, level: io.env.WAYMARK_LOG_LEVEL ?? 'warn' });

    // the simulator is loaded only by the commands that run it
    const { startDemo } = await import('../../sim/demo.js');
    const demo = await startDemo({
      seed, speed, port, host: stringFlag(values, 'host', { required: true }), logger,
      dataDir: dataDir === undefined ? undefined : resolve(io.cwd, dataDir),
      capturePath: capture === undefined ? undefined : resolve(io.cwd, capture),
      radio,
      rpcUrl,
      chain: !booleanFlag(values, 'no-chain'),
    });
    if (!json) {
      io.stdout(`Waymark demo kiosk "${demo.kiosk.config.venue.name}" on ${demo.radio.scanner.name}\n`);
      io.stdout(`  kiosk screen: ${demo.url}\n  status:       ${demo.url}v1/status\n`);
      io.stdout(`  data dir:     ${dataDir !== undefined ? demo.dataDir : demo.dataDir + ' (temporary)'}\n`);
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
