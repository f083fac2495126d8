/** A log sink that keeps every line, for tests that read what a logger wrote. */
import type { LogSink } from '../../shared/runtime/logger.js';

export interface MemorySink extends LogSink {
  readonly lines: string[];
  /** Every line, parsed. */
  entries(): Array<Record<string, unknown>>;
  clear(): void;
}

export function createMemorySink(): MemorySink {
  const lines: string[] = [];
  return {
    lines,
    write(_level, line) {
      lines.push(line);
    },
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    clear() {
      lines.length = 0;
    },
  };
}
