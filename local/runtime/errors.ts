/** Errors of the local FunctionGraph host. */

export class RuntimeStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeStartError';
  }
}

export class FunctionBundleError extends Error {
  constructor(
    readonly functionName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FunctionBundleError';
  }
}

export class UnknownFunctionError extends Error {
  constructor(readonly functionName: string) {
    super(`no function named ${JSON.stringify(functionName)} in this runtime`);
    this.name = 'UnknownFunctionError';
  }
}

export class FunctionTimeoutError extends Error {
  constructor(
    readonly functionName: string,
    readonly timeoutMs: number,
  ) {
    super(`function ${functionName} timed out after ${timeoutMs} ms`);
    this.name = 'FunctionTimeoutError';
  }
}

export class RuntimeClosedError extends Error {
  constructor() {
    super('the local runtime is closed');
    this.name = 'RuntimeClosedError';
  }
}

/** A handler that failed with something that is not an Error (a string, undefined, …). */
export class FunctionInvocationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FunctionInvocationError';
  }
}

/** A deployed function's code package that cannot be run (not a zip, unsafe paths, no handler file). */
export class DeployedCodeError extends Error {
  constructor(
    readonly functionName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeployedCodeError';
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** A handler's failure as an Error (a thrown string or undefined becomes a FunctionInvocationError). */
export function asError(error: unknown): Error {
  if (error instanceof Error) return error;
  return new FunctionInvocationError(
    error === undefined || error === null
      ? 'the handler failed without a reason'
      : `the handler failed: ${String(error)}`,
    { cause: error },
  );
}
