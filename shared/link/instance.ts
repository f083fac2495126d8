/** Reading the Kafka instance and checking it can take part in a link. */
import { NotFoundError } from '../cloud/errors.js';
import type { KafkaInstance } from '../cloud/types.js';
import { type Budget, type LinkDepsFor, pollUntil } from './deps.js';

/** Reading the instance: DMS show-instance. */
type ReadsInstance = LinkDepsFor<{ dms: 'showInstance' }>;

import { type DesiredLink, desiredLinkOf } from './desired.js';
import { InstanceNotFoundError, LinkNotReadyError, LinkRejectedError } from './errors.js';

/**
 * Statuses that end by themselves; a step waits for RUNNING instead of failing. STARTING is "the
 * status between Frozen and Running" (Huawei API reference, Kafka instance status, kafka-api-180514012).
 */
export const TRANSIENT_STATUSES: ReadonlySet<string> = new Set([
  'CONFIGURING',
  'STARTING',
  'RESTARTING',
  'EXTENDING',
  'SHRINKING',
  'VOLUMETYPECHANGING',
]);

export async function loadInstance(deps: Pick<ReadsInstance, 'dms'>, instanceId: string, step: string) {
  try {
    return await deps.dms.showInstance(instanceId);
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new InstanceNotFoundError(step, instanceId, error.code, { cause: error });
    }
    throw error;
  }
}

/**
 * Returns the instance once it is RUNNING. A transient status (a modify in progress, a restart) is
 * waited out within the budget, then reported as retryable; any other status ends the link.
 */
export async function runningInstance(
  deps: Pick<ReadsInstance, 'dms' | 'clock' | 'settings'>,
  instanceId: string,
  step: string,
  budget: Budget,
  /** The instance as just read, to save reading it again. */
  loaded?: KafkaInstance,
): Promise<KafkaInstance> {
  let last = loaded ?? (await loadInstance(deps, instanceId, step));
  const running = await pollUntil(deps, budget, async () => {
    if (last.status === 'RUNNING') return last;
    if (!TRANSIENT_STATUSES.has(last.status)) {
      throw new LinkRejectedError(
        step,
        `Kafka instance ${instanceId} is ${last.status}; it must be RUNNING`,
        'instanceId',
        'INSTANCE_NOT_RUNNING',
      );
    }
    last = await loadInstance(deps, instanceId, step);
    return last.status === 'RUNNING' ? last : undefined;
  });
  if (!running) throw new LinkNotReadyError(step, `Kafka instance ${instanceId} is still ${last.status}`);
  return running;
}

export function requireListeners(instance: KafkaInstance, step: string): void {
  if (instance.listeners.length === 0) {
    throw new LinkRejectedError(
      step,
      `Kafka instance ${instance.instanceId} has no cross-VPC listeners (cross_vpc_info is empty)`,
      'instanceId',
      'NO_LISTENERS',
    );
  }
}

/**
 * The instance of a link a message continues, if it still declares that link: a step that finds the
 * instance unlinked (or linked elsewhere) meanwhile has nothing to do. Waits for RUNNING like
 * `runningInstance`.
 */
export async function declaredLink(
  deps: Pick<ReadsInstance, 'dms' | 'clock' | 'settings'>,
  input: { instanceId: string; client: { vpcId: string } },
  step: string,
  budget: Budget,
  /** The instance as just read, to save reading it again. */
  loaded?: KafkaInstance,
): Promise<{ instance: KafkaInstance; desired: DesiredLink } | { stale: string }> {
  const instance = await runningInstance(deps, input.instanceId, step, budget, loaded);
  const desired = desiredLinkOf(instance);
  if (!desired || desired.client.vpcId !== input.client.vpcId) {
    return { stale: `instance ${instance.instanceId} no longer declares a link to ${input.client.vpcId}` };
  }
  requireListeners(instance, step);
  return { instance, desired };
}
