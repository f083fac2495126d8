/**
 * deploy/iam-policy.json against the permission table of the calls the functions make
 * (test/helpers/iam-actions.ts): every needed action and dependent action, nothing more, no wildcard.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type IamPolicy, OPERATIONS, requiredActions } from '../helpers/iam-actions.js';

const policy = JSON.parse(
  readFileSync(new URL('../../deploy/iam-policy.json', import.meta.url), 'utf8'),
) as IamPolicy;
const granted = policy.Statement.flatMap((statement) => statement.Action);

describe('deploy/iam-policy.json', () => {
  it('is an allow-only policy of version 1.1 without duplicates', () => {
    expect(policy.Version).toBe('1.1');
    expect(policy.Statement.every((statement) => statement.Effect === 'Allow')).toBe(true);
    expect(new Set(granted).size).toBe(granted.length);
  });

  it('grants every action the functions call, with its dependent actions', () => {
    // Arrange
    const missing = OPERATIONS.filter((op) => op.called !== false).flatMap((op) =>
      [op.action, ...(op.dependsOn ?? [])]
        .filter((action) => !granted.includes(action))
        .map((action) => `${action} (for ${op.method} ${op.path.source})`),
    );

    // Assert
    expect(missing).toEqual([]);
  });

  it('vpcep:epservices:create comes with its eight dependent actions (VPCEP permission table)', () => {
    for (const action of [
      'vpc:vpcs:get',
      'vpc:vpcs:list',
      'elb:loadbalancers:list',
      'elb:loadbalancers:get',
      'ecs:servers:list',
      'ecs:servers:get',
      'bms:servers:list',
      'bms:servers:get',
    ]) {
      expect(granted).toContain(action);
    }
  });

  it('grants nothing else and no wildcard', () => {
    const required = requiredActions();
    expect(granted.filter((action) => !required.has(action))).toEqual([]);
    expect(granted.filter((action) => action.includes('*'))).toEqual([]);
    expect(granted.every((action) => /^[a-z]+:[A-Za-z]+:[A-Za-z]+$/.test(action))).toBe(true);
  });
});
