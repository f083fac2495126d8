import { describe, expect, it } from 'vitest';
import { createdAtOf, sinceMs, TAG } from '../../../shared/link/tags.js';

const since = (seconds: number) => ({ tags: [{ key: TAG.since, value: String(seconds) }] });

describe('createdAtOf', () => {
  it('is the youngest creation, to the end of its second (the tag keeps whole seconds)', () => {
    // Act
    const at = createdAtOf([since(1_000), since(1_030), since(1_010)], 2_000_000);

    // Assert
    expect(at).toBe(1_030_999);
  });

  it('is unknown when one resource lacks the tag or there is none', () => {
    expect(createdAtOf([since(1_000), { tags: [] }], 2_000_000)).toBeUndefined();
    expect(createdAtOf([{ tags: [{ key: TAG.since, value: 'soon' }] }], 2_000_000)).toBeUndefined();
    expect(createdAtOf([], 2_000_000)).toBeUndefined();
  });

  it('is never later than now', () => {
    expect(createdAtOf([since(5_000)], 2_000_000)).toBe(2_000_000);
  });
});

describe('sinceMs', () => {
  it('reads kvl-since in ms', () => {
    expect(sinceMs(since(1_700_000_000).tags)).toBe(1_700_000_000_000);
    expect(sinceMs([])).toBeUndefined();
  });
});
