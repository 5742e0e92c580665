import { ACCEPTS_AVIF, ACCEPTS_WEBP, acceptedExtras, negotiate, parseAccept } from './accept.js';

const BOTH = ACCEPTS_AVIF | ACCEPTS_WEBP;
const CHROME = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
const SAFARI_OLD = 'image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5';
const FIREFOX_OLD = 'image/avif,image/webp,*/*';

describe('parseAccept', () => {
  it.each([
    ['', 0],
    ['*/*', 0],
    ['image/*', 0],
    ['image/png,image/jpeg', 0],
    [CHROME, BOTH],
    [FIREFOX_OLD, BOTH],
    [SAFARI_OLD, ACCEPTS_WEBP],
    ['image/avif', ACCEPTS_AVIF],
    ['IMAGE/AVIF ; Q=1', ACCEPTS_AVIF],
    ['  image/webp  ;  q=0.5  ', ACCEPTS_WEBP],
    ['image/avif;q=0,image/webp', ACCEPTS_WEBP],
    ['image/avif;q=0.000,image/webp;q=0.001', ACCEPTS_WEBP],
    ['image/avif;q=0.0, image/webp;q=0', 0],
    ['image/avif, image/avif;q=0', 0], // q=0 anywhere wins
    ['image/avif;level=1;q=0.2', ACCEPTS_AVIF],
    ['image/avif;q=0.5;q=0', 0], // the last q of an entry counts
    ['image/avifx,image/web', 0],
    ['image/avif;q=abc', 0],
    ['image/avif;q=1.5', 0],
    ['image/avif;q=-1', 0],
    ['image/avif;q=', 0],
    ['image/avif;q=NaN,image/webp;q=Infinity', 0],
    ['image/avif;q=1e-3', 0],
    ['image/avif;q=.5', ACCEPTS_AVIF],
    ['image/webp;q=1.000', ACCEPTS_WEBP],
    [',,,;;;==,image/webp,;q=0', ACCEPTS_WEBP],
    ['image/avif;=0;q', ACCEPTS_AVIF],
  ])('%j → %i', (accept, bits) => {
    expect(parseAccept(accept)).toBe(bits);
  });

  it('never throws on several KiB of odd input, and stays linear', () => {
    const junk = Array.from({ length: 4000 }, (_, i) => String.fromCharCode(i % 128)).join('');
    const huge = `${'text/html;q=0.9;level=1,'.repeat(400)}image/webp;q=0.7,${';'.repeat(5000)}`;
    expect(huge.length).toBeGreaterThan(8 * 1024);
    expect(() => parseAccept(junk)).not.toThrow();
    expect(parseAccept(huge)).toBe(ACCEPTS_WEBP);
    expect(parseAccept(`${',q=0'.repeat(20_000)},image/avif`)).toBe(ACCEPTS_AVIF);
  });
});

describe('acceptedExtras (cached by the raw header)', () => {
  it('answers like parseAccept, for headers that are missing, short, repeated, long or new', () => {
    expect(acceptedExtras(undefined)).toBe(0);
    expect(acceptedExtras('*/*')).toBe(0);
    for (let round = 0; round < 2; round++) {
      expect(acceptedExtras(CHROME)).toBe(BOTH);
      expect(acceptedExtras(SAFARI_OLD)).toBe(ACCEPTS_WEBP);
    }
    const long = `image/avif;q=0.1,${'x/y,'.repeat(1000)}`;
    expect(acceptedExtras(long)).toBe(ACCEPTS_AVIF);
    // Many distinct headers: the cache stays bounded and every answer stays right.
    for (let i = 0; i < 2000; i++) {
      expect(acceptedExtras(`image/webp;q=0.${i % 10},image/x-${i}`)).toBe(i % 10 === 0 ? 0 : ACCEPTS_WEBP);
    }
    expect(acceptedExtras(CHROME)).toBe(BOTH);
  });
});

describe('negotiate', () => {
  it.each([
    [BOTH, BOTH, 'avif'],
    [BOTH, ACCEPTS_WEBP, 'webp'], // AVIF not made yet (or not configured): the best one made
    [ACCEPTS_AVIF, ACCEPTS_WEBP, null], // never a format the request did not accept
    [ACCEPTS_WEBP, BOTH, 'webp'],
    [0, BOTH, null],
    [BOTH, 0, null],
  ])('accepted %i, available %i → %s', (accepted, available, format) => {
    expect(negotiate(accepted, available)).toBe(format);
  });
});
