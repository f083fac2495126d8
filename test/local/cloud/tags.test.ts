import { describe, expect, it } from 'vitest';
import { DMS_TAG_RULES } from '../../../local/cloud/dms.js';
import {
  addTags,
  matchesTagQuery,
  parseTagFilters,
  parseTags,
  projectTagValues,
  removeTags,
} from '../../../local/cloud/tags.js';
import { EmuError } from '../../../local/cloud/types.js';
import { VPCEP_TAG_FILTER_RULES, VPCEP_TAG_RULES } from '../../../local/cloud/vpcep/constants.js';

/** The error code a call answers with (the engine throws the service's EmuError). */
function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof EmuError) return error.code;
    throw error;
  }
}

describe('the shared tag engine', () => {
  it('answers each refusal with the code the service documents for it', () => {
    // Arrange
    const cases: Array<[unknown, string]> = [
      [[{ key: 'k'.repeat(37), value: 'v' }], 'EndPoint.3072'],
      [[{ key: 'k', value: 'v'.repeat(44) }], 'EndPoint.3073'],
      [[{ key: 'a.b', value: 'v' }], 'EndPoint.3068'],
      [
        [
          { key: 'k', value: 'a' },
          { key: 'k', value: 'b' },
        ],
        'EndPoint.3067',
      ],
      [[], 'EndPoint.3066'],
      ['k=v', 'EndPoint.0002'],
    ];
    for (const [raw, vpcepCode] of cases) {
      // Act / Assert
      expect(codeOf(() => parseTags(VPCEP_TAG_RULES, raw, { allowEmpty: false }))).toBe(vpcepCode);
      expect(codeOf(() => parseTags(DMS_TAG_RULES, raw, { allowEmpty: false }))).toBe('DMS.10240004');
    }
  });

  it('takes a create item without value as the empty value for VPCEP and refuses it for DMS', () => {
    expect(parseTags(VPCEP_TAG_RULES, [{ key: 'k' }], { allowEmpty: false })).toEqual([
      { key: 'k', value: '' },
    ]);
    expect(codeOf(() => parseTags(DMS_TAG_RULES, [{ key: 'k' }], { allowEmpty: false }))).toBe(
      'DMS.10240004',
    );
    expect(parseTags(DMS_TAG_RULES, [{ key: 'k' }], { allowEmpty: false, keyOnly: true })).toEqual([
      { key: 'k' },
    ]);
  });

  it('overwrites an existing key on create and limits the tags per resource to each service’s maximum', () => {
    // Arrange
    const ten = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    // Act
    const overwritten = addTags(VPCEP_TAG_RULES, ten, [{ key: 'k0', value: 'new' }], 'resource');
    // Assert
    expect(overwritten).toHaveLength(10);
    expect(overwritten[0]).toEqual({ key: 'k0', value: 'new' });
    expect(codeOf(() => addTags(VPCEP_TAG_RULES, ten, [{ key: 'k10', value: 'v' }], 'resource'))).toBe(
      'EndPoint.3069',
    );
    expect(addTags(DMS_TAG_RULES, ten, [{ key: 'k10', value: 'v' }], 'instance')).toHaveLength(11);
  });

  it('deletes a key with a value only when the value matches, and a key alone whatever its value', () => {
    const tags = [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ];
    expect(removeTags(tags, [{ key: 'a', value: 'other' }])).toEqual(tags);
    expect(removeTags(tags, [{ key: 'a' }])).toEqual([{ key: 'b', value: '2' }]);
  });

  it('summarises the project’s keys with their distinct values', () => {
    expect(
      projectTagValues([
        [{ key: 'a', value: '1' }],
        [
          { key: 'a', value: '2' },
          { key: 'a', value: '1' },
        ],
      ]),
    ).toEqual([{ key: 'a', values: ['1', '2'] }]);
  });

  it('filters by tag: AND across keys of tags, OR across tags_any, and their negations', () => {
    // Arrange
    const filters = (raw: unknown) => parseTagFilters(VPCEP_TAG_RULES, VPCEP_TAG_FILTER_RULES, raw, 'tags');
    const tags = [
      { key: 'team', value: 'orders' },
      { key: 'env', value: 'prod' },
    ];
    const none = { tags: [], tagsAny: [], notTags: [], notTagsAny: [] };
    // Act / Assert
    expect(
      matchesTagQuery(tags, { ...none, tags: filters([{ key: 'team', values: ['orders', 'x'] }]) }),
    ).toBe(true);
    expect(
      matchesTagQuery(tags, {
        ...none,
        tags: filters([
          { key: 'team', values: [] },
          { key: 'owner', values: [] },
        ]),
      }),
    ).toBe(false);
    expect(matchesTagQuery(tags, { ...none, tagsAny: filters([{ key: 'owner' }, { key: 'env' }]) })).toBe(
      true,
    );
    expect(matchesTagQuery(tags, { ...none, notTagsAny: filters([{ key: 'env', values: ['*pro'] }]) })).toBe(
      false,
    );
    expect(codeOf(() => filters(Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, values: [] }))))).toBe(
      'EndPoint.3069',
    );
  });
});
