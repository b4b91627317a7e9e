/**
 * The radio the CLI gives the kiosk: the configured hardware adapter, or the simulated
 * venue for `radio.adapter: "virtual"` (only the CLI and the tests may reach the simulator).
 */
import { systemClock } from '../core/clock.js';
import type { KioskConfig } from '../core/config.js';
import { openRadio, type RadioAdapters, type RadioContext } from '../kiosk/radio/adapters.js';

export function openConfiguredRadio(ctx: RadioContext): Promise<RadioAdapters> {
  return openRadio(ctx, async (c) => {
    // loaded only for the simulated venue: a kiosk on real hardware never loads sim/
    const { openVirtualRadio } = await import('../sim/virtual-radio.js');
    return openVirtualRadio(c);
  });
}

/** For `provision doctor`: the configured radio powers on and scans; says what answered. */
export async function probeRadio(config: KioskConfig, timeoutMs: number): Promise<string> {
  const probeConfig = { ...config, beacon: { ...config.beacon, enabled: false } };
  const radio = await withTimeout(openConfiguredRadio({ config: probeConfig, clock: systemClock }), timeoutMs, 'opening the radio');
  try {
    await withTimeout(radio.scanner.start(), timeoutMs, 'powering on and scanning');
    await radio.scanner.stop();
    return `${radio.scanner.name} powered on and scanning`;
  } finally {
    await radio.scanner.close();
    await radio.close();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]);
}
