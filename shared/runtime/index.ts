export * from './config.js';
export * from './context.js';
export * from './errors.js';
export * from './handler.js';
export * from './logger.js';
export * from './middleware/index.js';
export * from './publisher.js';
