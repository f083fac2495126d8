/**
 * The VPCEP module of the emulator lives in ./vpcep/ (constants, parsing, views, models with their
 * state machines, one handler file per resource, routes); this path keeps its public names importable.
 */
export * from './vpcep/index.js';
