/**
 * The FunctionGraph module of the emulator lives in ./functiongraph/ (constants, models, parsing,
 * views, one handler file per resource, routes); this path keeps its public names importable.
 */
export * from './functiongraph/index.js';
