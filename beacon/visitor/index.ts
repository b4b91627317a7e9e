/**
 * The visitor SDK: what a phone (or `waymark visitor`) needs to check in at a Waymark kiosk,
 * verify the attestation it gets, keep it, and check its Merkle proof. No Node-only APIs.
 */
export * from './attestation.js';
export * from './checkin-token.js';
export * from './proofs.js';
export * from './wallet.js';
export * from './client.js';
export * from './exposure.js';
export * from './share.js';
export * from './csi.js';
export * from './checkout.js';
export * from './exposure-logs.js';
