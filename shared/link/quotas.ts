/** The VPCEP quotas a link consumes, checked before anything is written. */
import { QUOTA_EXCEEDED_CODE } from '../cloud/errors.js';
import type { LinkDepsFor } from './deps.js';
import { LinkRejectedError } from './errors.js';

/**
 * Refuses up front when a quota cannot hold the resources still to create (one read for all types).
 * A quota consumed by someone else between this check and a create still fails that create, with
 * the same code.
 */
export async function checkQuotas(
  deps: Pick<LinkDepsFor<{ vpcep: 'getQuotas' }>, 'vpcep'>,
  needed: Partial<Record<'endpoint_service' | 'endpoint', number>>,
  step: string,
): Promise<void> {
  const types = (Object.keys(needed) as Array<keyof typeof needed>).filter((t) => (needed[t] ?? 0) > 0);
  if (types.length === 0) return;
  const quotas = await deps.vpcep.getQuotas(types.length === 1 ? types[0] : undefined);
  for (const type of types) {
    const quota = quotas.find((q) => q.type === type);
    if (!quota) continue;
    const free = quota.quota - quota.used;
    const want = needed[type] ?? 0;
    if (free < want) {
      throw new LinkRejectedError(
        step,
        `VPCEP ${type} quota too small: ${want} needed, ${free} free (${quota.used}/${quota.quota} used)`,
        undefined,
        QUOTA_EXCEEDED_CODE,
      );
    }
  }
}
