import type { TierView } from './tier-view.js';
import { grantedVariants, isVariant, tierGrants } from './variant.js';

const tier = (thumbnailHeights: number[], originalLink: boolean): TierView => ({
  id: 1,
  name: 'T',
  thumbnailHeights,
  originalLink,
  expiringLinks: false,
});

describe('tierGrants: the one rule for what a tier gives', () => {
  it.each([
    [tier([200], false), '200', true],
    [tier([200], false), '400', false],
    [tier([200], false), 'original', false],
    [tier([200, 400], true), 'original', true],
    [tier([200, 400], true), '400', true],
    [tier([], true), '200', false],
    [tier([150], false), '150.0', false],
  ])('%j grants %s: %s', (t, variant, expected) => expect(tierGrants(t, variant)).toBe(expected));

  it('lists what a tier offers, heights first', () => {
    expect(grantedVariants(tier([200, 400], true))).toEqual(['200', '400', 'original']);
    expect(grantedVariants(tier([], false))).toEqual([]);
  });
});

describe('isVariant', () => {
  it.each(['original', '1', '200', '99999'])('takes %s', (v) => expect(isVariant(v)).toBe(true));
  it.each(['', '0', '0200', '100000', 'Original', '200px', ' 200', 200])('refuses %j', (v) =>
    expect(isVariant(v)).toBe(false),
  );
});
