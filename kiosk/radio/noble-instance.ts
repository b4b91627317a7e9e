/**
 * Opens a private noble instance on a guarded HCI socket (the kernel's or a virtual
 * controller's), with its device poll under our control, its process handlers captured
 * and its warnings routed to the caller, so it prints nothing and can be closed without
 * leaving timers or listeners behind.
 */
import { createRequire } from 'node:module';
import { WaymarkError } from '../../core/errors.js';
import type { GuardedHciSocket } from './hci/guard.js';
import { guardedSocketClass, installHciSocket, socketChoiceName, type HciSocketChoice } from './hci/socket.js';
import {
  assertSupportedVersion,
  captureProcessListeners,
  nobleHciSocket,
  routeNobleWarnings,
  takeOverNobleDevicePoll,
  type DevicePoll,
  type NobleInstance,
  type NobleWarning,
} from './ble-compat.js';

const here = createRequire(import.meta.url);

export interface OpenNoble {
  noble: NobleInstance;
  socket: GuardedHciSocket;
  poll: DevicePoll;
  removeProcessListeners: () => void;
  /** The hci device the socket bound to. */
  devId: number;
}

export interface OpenNobleOptions {
  kind: HciSocketChoice;
  deviceId?: number;
  devicePollMs?: number;
  /** Every warning noble has, classified; nothing of noble's reaches the console. */
  onWarning: (warning: NobleWarning) => void;
}

export function openNoble(opts: OpenNobleOptions): OpenNoble {
  const { kind, deviceId } = opts;
  assertSupportedVersion('noble');
  // share the adapter with bleno (noble reads this per event)
  process.env.NOBLE_MULTI_ROLE ??= '1';
  let noble: NobleInstance;
  try {
    installHciSocket(guardedSocketClass(kind), ['noble']);
    const makeNoble = here('@abandonware/noble/with-custom-binding') as (o: object) => NobleInstance;
    noble = makeNoble(deviceId === undefined ? {} : { deviceId });
  } catch (err) {
    throw radioUnavailable(socketChoiceName(kind), deviceId, err);
  }
  const socket = nobleHciSocket(noble) as GuardedHciSocket;
  routeNobleWarnings(noble, opts.onWarning);
  const poll = takeOverNobleDevicePoll(noble, opts.devicePollMs ?? 1000);
  let removeProcessListeners: () => void;
  try {
    // reading `state` makes noble bind the socket and start its device poll now, not on a later tick
    removeProcessListeners = captureProcessListeners(() => void noble.state);
  } catch (err) {
    poll.stop();
    throw radioUnavailable(socketChoiceName(kind), deviceId, err);
  }
  return { noble, socket, poll, removeProcessListeners, devId: socket.boundDevId ?? deviceId ?? 0 };
}

export function radioUnavailable(kind: string, deviceId: number | undefined, err: unknown): WaymarkError {
  const e = err as NodeJS.ErrnoException;
  const where = `${kind} HCI socket${deviceId === undefined ? '' : ` hci${deviceId}`}`;
  return new WaymarkError('WAYMARK_ERR_RADIO_UNAVAILABLE', `${where}: ${e?.message ?? String(err)}`, {
    cause: err,
    details: { socket: kind, deviceId, errno: e?.code },
  });
}
