/**
 * deploy/client-agency-policy.json is what the client account grants the owner's agency: exactly
 * what the emulator's seeded partner agency may do, which the cross-account tests run a whole link
 * and unlink with (test/shared/link/cross-account.test.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_AGENCY_ACTIONS } from '../../local/cloud/world.js';
import type { IamPolicy } from '../helpers/iam-actions.js';

const policy = JSON.parse(
  readFileSync(new URL('../../deploy/client-agency-policy.json', import.meta.url), 'utf8'),
) as IamPolicy;

describe('client agency policy', () => {
  it('allows exactly the actions the cross-account link needs in the client account, no wildcard', () => {
    const actions = policy.Statement.flatMap((s) => s.Action);
    expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
    expect([...actions].sort()).toEqual([...CLIENT_AGENCY_ACTIONS].sort());
    expect(actions.some((a) => a.includes('*'))).toBe(false);
  });
});
