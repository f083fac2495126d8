/**
 * Vitest setup file: what the code under test writes straight to stderr/stdout (the functions' JSON
 * logger, the runtime's default sink) goes through console instead, so vitest's
 * `silent: 'passed-only'` keeps it for failing tests and drops it for passing ones.
 */
import { format } from 'node:util';

type Write = typeof process.stderr.write;

const ROUTED = Symbol.for('kvl.test.quiet-output');

function routed(stream: NodeJS.WriteStream, log: (text: string) => void): void {
  // With `isolate: false` this file runs once per test file in the same worker: wrap once.
  const marked = stream as NodeJS.WriteStream & { [ROUTED]?: true };
  if (marked[ROUTED]) return;
  marked[ROUTED] = true;
  const original = stream.write.bind(stream) as Write;
  let inside = false;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    // Vitest's own console may write to the stream: never route a write made while routing.
    if (inside) return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    inside = true;
    try {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      log(text.endsWith('\n') ? text.slice(0, -1) : text);
    } finally {
      inside = false;
    }
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as Write;
}

routed(process.stderr, (text) => console.error(format('%s', text)));
routed(process.stdout, (text) => console.log(format('%s', text)));
