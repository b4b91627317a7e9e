/**
 * The kiosk's check-in part: attestation signing, rotating QR tokens, the attestation store
 * and its batcher interface, the clock guard, the service actions, the BLE tap handler and
 * the NFC tap check-in.
 */
export * from './attestation-signer.js';
export * from './tokens.js';
export * from './records.js';
export * from '../clock-guard.js';
export * from './service.js';
export * from './tap.js';
export * from './nfc.js';
