/**
 * The middy middlewares every kvl function runs, in this order (`kvlHandler` wires them):
 *
 *   functionGraphContext → structuredLogger → configLoader → triggerParser → dependencies
 *   → eventPublisher → errorHandler
 *
 * They share one `InvocationState`, kept on the (per-invocation) adapted context as `context.kvl`,
 * because middy hands the base handler only `(event, context)`, not the request. Each factory
 * validates its options when called (cold start), so a wiring mistake fails at load, not per event.
 */
export * from './config-loader.js';
export * from './dependencies.js';
export * from './error-handler.js';
export * from './event-publisher.js';
export * from './failed-event.js';
export * from './function-graph-context.js';
export * from './state.js';
export * from './structured-logger.js';
export * from './trigger-parser.js';
