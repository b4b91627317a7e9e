/**
 * What the doctor's checks share: the options, the result shape, and one context holding
 * the config, the kiosk wallet and the chain session, each produced by the check that
 * proves it; a later check asking for a missing one is reported as skipped.
 */
import type { BaseWallet } from 'ethers';
import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import { loadConfig, type KioskConfig } from '../core/config.js';
import type { ChainSession } from './chain-access.js';

export interface DoctorOptions {
  configPath: string;
  env: NodeJS.ProcessEnv;
  /** Gas money the kiosk must hold, wei (default 0.005 ETH). */
  minBalanceWei?: bigint;
  /** Free space the data dir must have, bytes (default 200 MB). */
  minFreeBytes?: number;
  /** How far the clock may be off the chain node's, seconds (default 5). */
  clockToleranceS?: number;
  /** Serial binding for the serial radio check; default @serialport/bindings-cpp. */
  serialBinding?: BindingInterface;
  /**
   * Powers on the configured HCI (or simulated) radio and scans briefly; resolves with what
   * it found, rejects with why not. The CLI passes the kiosk's radio adapters here.
   */
  probeRadio?: (config: KioskConfig, timeoutMs: number) => Promise<string>;
  /** How long the radio may take to answer, ms (default 8000). */
  radioTimeoutMs?: number;
  /** The local clock, ms (tests skew it). */
  now?: () => number;
  /** Passphrase prompt; default: ask only when stdin is a TTY. */
  prompt?: ((question: string) => Promise<string>) | false;
}

export interface CheckResult {
  ok: boolean;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
  /** Not run because a check it needs failed. */
  skipped?: boolean;
}

export interface DoctorCheck {
  name: string;
  /** What the check proves, for --help and docs. */
  description: string;
  run(ctx: DoctorContext): Promise<CheckResult>;
}

/** Thrown by a context getter when a prerequisite check failed; the runner reports "skipped". */
export class PrerequisiteFailed extends Error {
  constructor(readonly prerequisite: string) {
    super(`needs a passing '${prerequisite}' check`);
  }
}

/** What the checks share: the config, the kiosk wallet and the chain, each produced by one check. */
export class DoctorContext {
  readonly options: DoctorOptions;
  #config: KioskConfig | undefined;
  #configError: unknown;
  #wallet: BaseWallet | undefined;
  #chain: ChainSession | undefined;

  constructor(options: DoctorOptions) {
    this.options = options;
    try {
      this.#config = loadConfig(options.configPath, options.env);
    } catch (err) {
      this.#configError = err;
    }
  }

  now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  configOrError(): { config?: KioskConfig; error?: unknown } {
    return { config: this.#config, error: this.#configError };
  }

  config(): KioskConfig {
    if (!this.#config) throw new PrerequisiteFailed('config');
    return this.#config;
  }

  setWallet(wallet: BaseWallet): void {
    this.#wallet = wallet;
  }

  wallet(): BaseWallet {
    if (!this.#wallet) throw new PrerequisiteFailed('key');
    return this.#wallet;
  }

  setChain(chain: ChainSession): void {
    this.#chain = chain;
  }

  chain(): ChainSession {
    if (!this.#chain) throw new PrerequisiteFailed('chain');
    return this.#chain;
  }

  venueId(): bigint {
    const id = this.config().chain.venueId;
    if (!id) throw new PrerequisiteFailed('config');
    return BigInt(id);
  }

  close(): void {
    this.#chain?.close();
  }
}
