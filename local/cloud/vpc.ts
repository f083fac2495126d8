/**
 * The VPC module of the emulator lives in ./vpc/ (common limits, codes and helpers; one handler
 * file per resource; routes); this path keeps its public names importable.
 */
export * from './vpc/index.js';
