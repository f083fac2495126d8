/**
 * Domain errors. A `LinkRejectedError` is terminal: the request can never succeed as written (bad
 * input, wrong instance state, conflicting link), so the chain ends with `kvl.link.failed` and
 * nothing is retried. A `LinkNotReadyError` is retryable: the cloud has not caught up yet.
 */
export class LinkRejectedError extends Error {
  readonly retryable = false;
  readonly terminal = true;
  constructor(
    readonly step: string,
    readonly reason: string,
    readonly field?: string,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(field ? `${field}: ${reason}` : reason, options);
    this.name = 'LinkRejectedError';
  }
}

/**
 * Another request overtook this one while it ran: the instance now declares another client, or no
 * link at all (an unlink won). Nothing to retry: what is in place is the other request's doing.
 */
export class LinkSupersededError extends Error {
  readonly retryable = false;
  readonly terminal = true;
  constructor(
    readonly step: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LinkSupersededError';
  }
}

export class LinkNotReadyError extends Error {
  readonly retryable = true;
  readonly terminal = false;
  constructor(
    readonly step: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LinkNotReadyError';
  }
}

/** The listener map failed verification: sending it would disconnect the cluster. */
export class ListenerMapError extends Error {
  readonly retryable = false;
  readonly terminal = true;
  constructor(
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(`refusing to send an unsafe advertised map: ${problems.join('; ')}`, options);
    this.name = 'ListenerMapError';
  }
}

/** The Kafka instance does not exist (terminal for a link; unlink then only cleans up). */
export class InstanceNotFoundError extends LinkRejectedError {
  constructor(step: string, instanceId: string, code?: string, options?: { cause?: unknown }) {
    super(step, `Kafka instance ${instanceId} does not exist`, 'instanceId', code, options);
    this.name = 'InstanceNotFoundError';
  }
}
