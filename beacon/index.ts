/**
 * The beacon package's public surface: the frame codec and kiosk-side rotation, and the
 * phone-side verifier (frame.ts, fragments.ts, advertising.ts, verify.ts, assembler.ts
 * use no Node-only API, so a phone app can bundle them).
 */
export * from './bytes.js';
export * from './geohash.js';
export * from './frame.js';
export * from './fragments.js';
export * from './advertising.js';
export * from './verify.js';
export * from './assembler.js';
export * from './kiosk-beacon.js';
