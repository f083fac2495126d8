/** Injected faults: matched per call by method, path and service, counted, and drawn with a seeded PRNG. */
import { mulberry32 } from '../world.js';
import { isRecord } from './http.js';
import { type ActiveFault, EmulatorError, type FaultSpec } from './types.js';

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

export function normalizeFault(input: unknown): FaultSpec {
  if (!isRecord(input)) throw new EmulatorError('a fault must be an object');
  const kind = input.kind;
  if (kind !== 'status' && kind !== 'timeout' && kind !== 'drop-after-commit') {
    throw new EmulatorError('fault kind must be "status", "timeout" or "drop-after-commit"');
  }
  const match = input.match === undefined ? {} : input.match;
  if (!isRecord(match)) throw new EmulatorError('fault match must be an object');
  const spec: FaultSpec = { match: {}, kind };
  for (const key of ['method', 'path', 'service'] as const) {
    const value = match[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new EmulatorError(`fault match.${key} must be a string`);
    spec.match[key] = key === 'method' ? value.toUpperCase() : value;
  }
  if (spec.match.path?.startsWith('^')) {
    try {
      new RegExp(spec.match.path);
    } catch (error) {
      throw new EmulatorError(`fault match.path is not a valid regular expression: ${spec.match.path}`, {
        cause: error,
      });
    }
  }
  if (input.status !== undefined) {
    const status = Number(input.status);
    if (!Number.isInteger(status) || status < 400 || status > 599)
      throw new EmulatorError('fault status must be 400..599');
    spec.status = status;
  }
  if (input.code !== undefined) spec.code = String(input.code);
  if (input.message !== undefined) spec.message = String(input.message);
  if (input.count !== undefined) {
    const count = Number(input.count);
    if (!Number.isInteger(count) || count < 1) throw new EmulatorError('fault count must be an integer >= 1');
    spec.count = count;
  }
  if (input.rate !== undefined) {
    const rate = Number(input.rate);
    if (!Number.isFinite(rate) || rate < 0 || rate > 1)
      throw new EmulatorError('fault rate must be in [0, 1]');
    spec.rate = rate;
  }
  return spec;
}

/** The active faults and the PRNG their `rate` draws from. */
export class FaultTable {
  private faults: ActiveFault[] = [];
  private random: () => number;

  constructor(
    seed: number,
    private readonly newId: () => string,
  ) {
    this.random = mulberry32(seed);
  }

  add(specs: FaultSpec[], seed?: number): ActiveFault[] {
    if (seed !== undefined) this.random = mulberry32(seed);
    const added = specs.map((spec) => ({ ...normalizeFault(spec), id: this.newId(), hits: 0 }));
    this.faults.push(...added);
    return added;
  }

  clear(): void {
    this.faults = [];
  }

  list(): ActiveFault[] {
    return this.faults.map((f) => ({ ...f, match: { ...f.match } }));
  }

  /** The first fault that matches the call, counted as hit (and dropped when its count runs out). */
  take(method: string, path: string, service: string): ActiveFault | undefined {
    for (const fault of this.faults) {
      const { match } = fault;
      if (match.method && match.method !== method) continue;
      if (match.service && match.service !== service) continue;
      if (match.path) {
        const pattern = match.path.startsWith('^') ? new RegExp(match.path) : globToRegExp(match.path);
        if (!pattern.test(path)) continue;
      }
      if (fault.rate !== undefined && this.random() >= fault.rate) continue;
      fault.hits += 1;
      if (fault.count !== undefined) {
        fault.count -= 1;
        if (fault.count <= 0) this.faults = this.faults.filter((f) => f !== fault);
      }
      return fault;
    }
    return undefined;
  }
}
