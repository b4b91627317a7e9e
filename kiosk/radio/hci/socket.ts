/**
 * The HCI socket under noble and bleno: their `require('@abandonware/bluetooth-hci-socket')`
 * returns the class chosen here, through the CommonJS module cache, so their own HCI code
 * and parsers run on it. The kiosk chooses the kernel's socket (loaded on demand), always
 * behind the packet guard; tests and the demo pass the virtual controller's socket class.
 */
import type { EventEmitter } from 'node:events';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { guardHciSocket, type GuardedHciSocketClass } from './guard.js';


/** A device as bluetooth-hci-socket's getDeviceList() describes it. */
export interface HciDevice {
  devId: number | null;
  devUp: boolean | null;
  idVendor: number | null;
  idProduct: number | null;
  busNumber: number | null;
  deviceAddress: number | null;
}

/** The API noble and bleno use on a bluetooth-hci-socket instance (lib/native.js). */
export interface HciSocketLike extends EventEmitter {
  bindRaw(devId?: number): number;
  bindUser(devId?: number): number;
  bindControl(): number;
  start(): void;
  stop(): void;
  write(data: Buffer): void;
  setFilter(filter: Buffer): void;
  isDevUp(): boolean;
  getDeviceList(): HciDevice[];
  reset?(): void;
  cleanup?(): void;
}

/** What `require('@abandonware/bluetooth-hci-socket')` returns: a class constructed without arguments. */
export type HciSocketClass = new () => HciSocketLike;

const HCI_SOCKET_MODULE = '@abandonware/bluetooth-hci-socket';
const here = createRequire(import.meta.url);

export type HciLibrary = 'noble' | 'bleno';

/** Each library's hci.js, which requires the socket module; resolved lazily so a missing library only fails its own user. */
const HCI_JS: Record<HciLibrary, string> = {
  noble: '@abandonware/noble/lib/hci-socket/hci.js',
  bleno: '@abandonware/bleno/lib/hci-socket/hci.js',
};

/** The socket module's file as the library's hci.js would resolve it. */
export function hciSocketModulePath(library: HciLibrary): string {
  const hciJs = here.resolve(HCI_JS[library]);
  return createRequire(hciJs).resolve(HCI_SOCKET_MODULE);
}

/** Root folder of a library's package (for evicting its modules from the cache). */
function libraryRoot(library: HciLibrary): string {
  return dirname(here.resolve(`@abandonware/${library}/package.json`));
}

let installed: HciSocketClass | null = null;
const originals = new Map<string, Module | undefined>();

/**
 * Makes noble's and bleno's next `require` of the HCI socket module return `SocketClass`.
 * Library modules that already captured another class are evicted from the cache, so the
 * next noble/bleno load picks up the new one; instances made before keep theirs.
 */
export function installHciSocket(SocketClass: HciSocketClass, libraries: HciLibrary[] = ['noble', 'bleno']): void {
  const cache = here.cache;
  const changed = installed !== SocketClass;
  for (const library of libraries) {
    let path: string;
    try {
      path = hciSocketModulePath(library);
    } catch {
      continue; // library not installed: nothing will require through it
    }
    const current = cache[path];
    if (current?.exports === SocketClass) continue;
    if (!originals.has(path)) originals.set(path, current);
    const m = new Module(path);
    m.filename = path;
    m.loaded = true;
    m.exports = SocketClass;
    cache[path] = m;
  }
  if (changed) {
    for (const library of libraries) evictLibrary(library, library === 'noble' ? ['lib/hci-socket/'] : ['']);
  }
  installed = SocketClass;
}

/** Drops a library's modules under the given sub-folders from the CommonJS cache. */
export function evictLibrary(library: HciLibrary, subfolders: string[] = ['']): number {
  let root: string;
  try {
    root = libraryRoot(library);
  } catch {
    return 0;
  }
  let n = 0;
  for (const key of Object.keys(here.cache)) {
    if (key.startsWith(`${root}/node_modules/`)) continue;
    if (subfolders.some((sub) => key.startsWith(`${root}/${sub}`))) {
      delete here.cache[key];
      n++;
    }
  }
  return n;
}

let nativeClass: HciSocketClass | null = null;

/**
 * The real bluetooth-hci-socket class, loaded around any installed replacement. Loading
 * works without Bluetooth; constructing an instance then throws (EAFNOSUPPORT).
 */
export function loadNativeHciSocket(): HciSocketClass {
  if (nativeClass) return nativeClass;
  const path = hciSocketModulePath('noble');
  const cache = here.cache;
  const original = originals.get(path);
  if (original && original.exports) {
    nativeClass = original.exports as HciSocketClass;
    return nativeClass;
  }
  const injected = cache[path];
  delete cache[path];
  try {
    nativeClass = here(path) as HciSocketClass;
  } finally {
    if (injected) cache[path] = injected;
    else if (!originals.has(path)) originals.set(path, cache[path]);
  }
  return nativeClass;
}

let guardedNative: GuardedHciSocketClass | null = null;
const guardedOthers = new WeakMap<HciSocketClass, GuardedHciSocketClass>();

/**
 * Which HCI socket a radio adapter opens: the kernel's (`'native'`), or a socket class of
 * the same API (the simulator's virtual controller).
 */
export type HciSocketChoice = 'native' | HciSocketClass;

/** The guarded socket class for a choice (one per class, so noble and bleno share it). */
export function guardedSocketClass(choice: HciSocketChoice): GuardedHciSocketClass {
  if (choice === 'native') return (guardedNative ??= guardHciSocket(loadNativeHciSocket()));
  let guarded = guardedOthers.get(choice);
  if (!guarded) guardedOthers.set(choice, (guarded = guardHciSocket(choice)));
  return guarded;
}

/** A short name of a socket choice for errors and status ('native', or the class's name). */
export function socketChoiceName(choice: HciSocketChoice): string {
  return choice === 'native' ? 'native' : (choice.name || 'custom').replace(/HciSocket$/, '').toLowerCase() || 'custom';
}
