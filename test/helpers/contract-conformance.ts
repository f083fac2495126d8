/**
 * vitest setup file: every exchange with every emulator of the test suite is checked against the
 * contracts (contracts/*.json). In-process emulators report through the process-wide observer set;
 * emulators in subprocesses (CLI tests) append to the file named by KVL_EMULATOR_EXCHANGE_FILE,
 * which children inherit. A request the product's clients send that breaks its contract, an answer
 * that breaks it, or a call with no contract at all fails the test during which it happened (or the
 * file, when it happened outside a test), naming the operation, the field and the test.
 * Entries of contracts/known-divergences.json are tolerated until the fixes they name are merged.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect } from 'vitest';
import {
  ContractChecker,
  type ExchangeLike,
  loadKnownDivergences,
  type Violation,
} from '../../contracts/check.js';
import { EXCHANGE_FILE_ENV, type Exchange, exchangeObservers } from '../../local/cloud/exchange-log.js';
import { contractMarks, currentTestKey } from './contract-marks.js';

interface Recorded {
  test: string;
  exchange: string;
  violation: Violation;
}

const enabled = process.env.KVL_CONTRACT_CHECKS !== 'off';

if (enabled) {
  const checker = new ContractChecker();
  const known = loadKnownDivergences();
  let pending: Recorded[] = [];

  const currentTest = currentTestKey;
  const NEVER = /$^/;

  const check = (exchange: ExchangeLike, where: string) => {
    const marks = contractMarks();
    if (marks.ignoredPaths.some((pattern) => pattern.test(exchange.path))) return;
    // In a test that probes refusals, the clients' requests are judged like any test's.
    const productAgent = marks.refusals.has(where) ? NEVER : undefined;
    const { violations } = checker.checkExchange(exchange, {
      known,
      ...(productAgent ? { productAgent } : {}),
    });
    for (const violation of violations) {
      pending.push({
        test: where,
        exchange: `${exchange.method} ${exchange.path} → ${exchange.status}`,
        violation,
      });
    }
  };

  const observer = (exchange: Exchange) => check(exchange, currentTest());
  exchangeObservers.add(observer);

  // Emulators started as subprocesses write their exchanges here.
  const file = join(tmpdir(), `kvl-exchanges-${process.pid}-${Date.now()}.jsonl`);
  process.env[EXCHANGE_FILE_ENV] = file;
  let offset = 0;
  const drainFile = (where: string) => {
    if (!existsSync(file)) return;
    const text = readFileSync(file, 'utf8');
    const fresh = text.slice(offset);
    const end = fresh.lastIndexOf('\n');
    if (end < 0) return;
    offset += end + 1;
    for (const line of fresh.slice(0, end).split('\n')) {
      if (line.trim() !== '') check(JSON.parse(line) as Exchange, `${where} (emulator subprocess)`);
    }
  };

  const report = (): Error | undefined => {
    if (pending.length === 0) return undefined;
    const lines = pending.map(
      (r) =>
        `  ${r.violation.operation ?? '(no contract)'} ${r.violation.side} ${r.violation.field}: ${r.violation.message}\n    in ${r.exchange}\n    during ${r.test}`,
    );
    pending = [];
    return new Error(
      `exchanges with the emulator break the Huawei API contracts (contracts/*.json):\n${lines.join('\n')}\n` +
        'Fix the client or the emulator; a divergence already being fixed belongs in contracts/known-divergences.json.',
    );
  };

  afterEach(() => {
    drainFile(currentTest());
    contractMarks().refusals.delete(currentTest());
    const error = report();
    if (error) throw error;
  });

  afterAll(() => {
    drainFile(`${expect.getState().testPath ?? '?'} > (hooks)`);
    exchangeObservers.delete(observer);
    contractMarks().ignoredPaths.length = 0;
    rmSync(file, { force: true });
    const error = report();
    if (error) throw error;
  });
}
