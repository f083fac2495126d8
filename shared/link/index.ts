/** The link domain: each step a plain function of (deps, input, budget). */
export * from './buy-endpoints.js';
export * from './create-services.js';
export * from './deps.js';
export * from './desired.js';
export * from './drive.js';
export * from './errors.js';
export * from './instance.js';
export * from './inventory.js';
export * from './mapping.js';
export * from './patch-listeners.js';
export * from './poll-acceptance.js';
export * from './reconcile.js';
export * from './status.js';
export * from './tags.js';
export * from './unlink.js';
