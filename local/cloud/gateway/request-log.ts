/**
 * The request log the admin API serves, and the exchange observers that see every cloud call with
 * its query, body and answer (secrets redacted by exchange-log.ts before anything is written).
 */

import {
  EXCHANGE_FILE_ENV,
  type Exchange,
  type ExchangeObserver,
  exchangeObservers,
  notifyExchange,
} from '../exchange-log.js';
import type { EmuClock } from '../types.js';
import type { RequestLogEntry } from './types.js';

/** Cap of the request log, so a long-running emulator does not grow without bound. */
const MAX_LOG_ENTRIES = 50_000;

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private readonly observers = new Set<ExchangeObserver>();

  constructor(private readonly clock: EmuClock) {}

  list(): RequestLogEntry[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries = [];
  }

  /** Returns an unsubscribe. */
  onExchange(observer: ExchangeObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  record(
    entry: Omit<RequestLogEntry, 'time'>,
    exchange?: { userAgent?: string; responseBody?: unknown },
  ): void {
    const logged = { time: new Date(this.clock.now()).toISOString(), ...entry };
    this.entries.push(logged);
    if (this.entries.length > MAX_LOG_ENTRIES) this.entries.splice(0, this.entries.length - MAX_LOG_ENTRIES);
    if (this.observers.size > 0 || exchangeObservers.size > 0 || process.env[EXCHANGE_FILE_ENV]) {
      const { code: _code, ...rest } = logged;
      // The answer is what the caller received; notifyExchange redacts it before it is written anywhere.
      notifyExchange({ ...rest, query: logged.query ?? {}, ...exchange } as Exchange, this.observers);
    }
  }
}
