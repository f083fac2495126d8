/**
 * Crash injection by wrapping the cloud clients the handlers get: every client call (DMS, VPCEP, VPC
 * and the SMN publish of outgoing events) is counted across invocations, and at the chosen call the
 * invocation stops — right after the call returned (the write is committed and its answer received),
 * or by having the emulator commit the write and drop its reply.
 */
import type { EmulatorHandle } from '../../../local/cloud/index.js';
import type { FunctionDeps } from '../../../shared/runtime/link-deps.js';

/** The function died: nothing after this point of the invocation runs; FunctionGraph retries it. */
export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
  readonly retryable = true;
  constructor(readonly call: string) {
    super(`simulated crash after ${call}`);
  }
}

const CLIENTS = ['dms', 'vpcep', 'vpc', 'smn'] as const;
const READ = /^(show|list|get|query)/;

export function isWrite(call: string): boolean {
  const method = call.split('.')[1] ?? '';
  return !READ.test(method);
}

export interface CallCounter {
  /** `client.method` of every call so far, in order. */
  calls: string[];
}

export type CrashMode =
  /** Throw `SimulatedCrash` after the call returned. */
  | { kind: 'throw-after'; at: number }
  /** Let the emulator commit the call and drop its reply (one-shot fault on the next request). */
  | { kind: 'drop-after-commit'; at: number; emulator: EmulatorHandle };

/** Wraps the clients of one invocation's deps; `counter` is shared by all invocations of a run. */
export function instrument(
  deps: FunctionDeps,
  counter: CallCounter,
  mode?: CrashMode,
  filter: (call: string) => boolean = () => true,
): FunctionDeps {
  const wrapped = { ...deps } as Record<string, unknown>;
  const proxy = (name: string, client: Record<string, unknown>) =>
    new Proxy(client, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        const call = `${name}.${property}`;
        return async (...args: unknown[]) => {
          if (!filter(call)) return value.apply(target, args);
          const index = counter.calls.length;
          counter.calls.push(call);
          const target_ = mode?.at === index;
          if (target_ && mode?.kind === 'drop-after-commit') {
            mode.emulator.addFaults([{ match: {}, kind: 'drop-after-commit', count: 1 }]);
          }
          const result = await value.apply(target, args);
          if (target_ && mode?.kind === 'throw-after') throw new SimulatedCrash(call);
          return result;
        };
      },
    });
  for (const name of CLIENTS) wrapped[name] = proxy(name, deps[name] as unknown as Record<string, unknown>);
  // A cross-account link's endpoint calls, in the client's account, are crash points too.
  const clientAccount = deps.clientAccount;
  if (clientAccount) {
    wrapped.clientAccount = async (agency: Parameters<typeof clientAccount>[0]) => {
      const clients = await clientAccount(agency);
      return {
        ...clients,
        vpcep: proxy('client-vpcep', clients.vpcep as unknown as Record<string, unknown>),
        vpc: proxy('client-vpc', clients.vpc as unknown as Record<string, unknown>),
      };
    };
  }
  return wrapped as unknown as FunctionDeps;
}

/** True when `error` is, or was caused by, a simulated crash (the publisher wraps it in PublishError). */
export function isCrash(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current instanceof SimulatedCrash) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Calls `after(call, args, result)` once each client call has returned (to act "midway"). */
export function observe(
  deps: FunctionDeps,
  after: (call: string, args: unknown[], result: unknown) => void | Promise<void>,
): FunctionDeps {
  const wrapped = { ...deps } as Record<string, unknown>;
  for (const name of CLIENTS) {
    const client = deps[name] as unknown as Record<string, unknown>;
    wrapped[name] = new Proxy(client, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        return async (...args: unknown[]) => {
          const result = await value.apply(target, args);
          await after(`${name}.${property}`, args, result);
          return result;
        };
      },
    });
  }
  return wrapped as unknown as FunctionDeps;
}
