export * from './cloudevents.js';
export * from './envelopes.js';
export * from './errors.js';
