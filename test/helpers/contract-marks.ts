/**
 * How a test tells the suite's contract checks (test/helpers/contract-conformance.ts) what it does
 * on purpose. State lives on globalThis so the setup file and the test share it whatever the module
 * graph. Marks are explicit and narrow: a refusal still has to come back as a documented error.
 */
import { expect } from 'vitest';

interface Marks {
  /** Tests (`file > name`) whose requests may break their contract on purpose, even from the clients. */
  refusals: Set<string>;
  /** Paths of test doubles mounted in the emulator (not Huawei APIs), for the whole file. */
  ignoredPaths: RegExp[];
}

const KEY = Symbol.for('kvl.contract-marks');

export function contractMarks(): Marks {
  const holder = globalThis as { [KEY]?: Marks };
  holder[KEY] ??= { refusals: new Set(), ignoredPaths: [] };
  return holder[KEY];
}

export function currentTestKey(): string {
  const state = expect.getState();
  return `${state.testPath ?? '?'} > ${state.currentTestName ?? '(outside a test)'}`;
}

export const contractChecks = {
  /**
   * The current test sends requests that break their contract on purpose (also through the product's
   * clients, to test refusals): each must still be refused with an error in the documented shape.
   */
  expectRefusals(): void {
    contractMarks().refusals.add(currentTestKey());
  },
  /** The file talks to a test double mounted in the emulator at these paths: they are not checked. */
  ignorePaths(pattern: RegExp): void {
    contractMarks().ignoredPaths.push(pattern);
  },
};
