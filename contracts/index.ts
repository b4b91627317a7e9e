/**
 * The contracts part of Waymark: solc-js build, local anvil, and one typed ethers v6 action
 * per registry function.
 */
export * from './build.js';
export * from './anvil.js';
export * from './client.js';
export * from './chain-errors.js';
export * from './validate.js';
export * from './actions/deploy.js';
export * from './actions/register-region.js';
export * from './actions/register-venue.js';
export * from './actions/authorize-kiosk.js';
export * from './actions/revoke-kiosk.js';
export * from './actions/commit-batch.js';
export * from './actions/report-exposure.js';
export * from './actions/mark-cleaned.js';
export * from './actions/status-of.js';
export * from './actions/exposure-of.js';
export * from './actions/next-seq.js';
export * from './actions/is-kiosk.js';
export * from './actions/get-venue.js';
export * from './actions/batch-root.js';
export * from './actions/set-beacon-key.js';
export * from './actions/beacon-key-for.js';
export * from './actions/list-beacon-keys.js';
export * from './actions/capacity.js';
export * from './actions/region-authority.js';
export * from './chain.js';
