/**
 * Creates the cloud would carry out twice if sent twice (a VPCEP endpoint, a network ACL rule: no
 * client token, no refusal of a second one). Their requests are marked `idempotent: false`, so the
 * HTTP client never re-sends one that may have reached the cloud; this is what happens instead.
 */
import { mayHaveTakenEffect } from '../cloud/errors.js';
import type { LinkDeps } from './deps.js';

/**
 * How many times a create whose outcome is unknown is looked for and sent again before the step
 * gives up (its redelivery then looks the same way).
 */
const UNKNOWN_OUTCOME_ATTEMPTS = 3;

/**
 * Runs `create`. When it fails without saying whether it was carried out (no answer, a dropped
 * connection, a 5xx), `find` looks for what it would have created: found, that is the result; not
 * found, the create is sent again after a short pause. Any other failure is thrown as it is.
 */
export async function createOnce<T>(
  deps: Pick<LinkDeps, 'clock' | 'logger'>,
  what: string,
  create: () => Promise<T>,
  find: () => Promise<T | undefined>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (error) {
      if (!mayHaveTakenEffect(error) || attempt >= UNKNOWN_OUTCOME_ATTEMPTS) throw error;
      deps.logger.warn('a create got no clear answer; looking for its result before sending it again', {
        what,
        code: (error as { code?: unknown }).code,
      });
      const found = await find();
      if (found !== undefined) return found;
      await deps.clock.sleep(1_000 * attempt);
    }
  }
}
