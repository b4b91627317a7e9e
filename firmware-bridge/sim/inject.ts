/**
 * Puts a chosen HCI socket class under noble and bleno: their `require('@abandonware/
 * bluetooth-hci-socket')` returns it, through the CommonJS module cache, so their own HCI
 * code and parsers still run. Also loads the real (native) socket class on demand.
 */
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { VirtualHciSocket, type HciSocketClass } from './hci-socket.js';
import { guardHciSocket, type GuardedHciSocketClass } from './hci-guard.js';

export { guardHciSocket, hciGuardTotals, HciPacketScreen } from './hci-guard.js';
export type { GuardedHciSocket, GuardedHciSocketClass, HciGuardCounters } from './hci-guard.js';

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

let guardedVirtual: GuardedHciSocketClass | null = null;
let guardedNative: GuardedHciSocketClass | null = null;

/** The guarded socket class of a kind: the virtual controller's, or the kernel's (loaded on first use). */
export function guardedSocketClass(kind: 'native' | 'virtual'): GuardedHciSocketClass {
  if (kind === 'virtual') return (guardedVirtual ??= guardHciSocket(VirtualHciSocket));
  return (guardedNative ??= guardHciSocket(loadNativeHciSocket()));
}
