import { jest } from '@jest/globals';
import type { AppConfig } from '../config/config.js';
import { ExpiringLinkTokens } from './expiring-link-token.js';
import { LinkExpiredError, LinkForgedError, LinkNotFoundError } from './link.errors.js';
import { parseLinkFile } from './link-file.js';
import { LinkSigner } from './link-signer.js';
import { PermanentLinks } from './permanent-links.js';

const OLD = 'old-link-secret-that-is-long-enough-0123456789';
const NEW = 'new-link-secret-that-is-long-enough-0123456789';
const config = (...linkSecrets: string[]) => ({ linkSecrets, publicUrl: 'https://img.example' }) as AppConfig;
const IMAGE = '6c0d2a43-8a8d-4d7e-9a57-1f0a6f5b2c11';
const LINK = '9b1e7d5e-3c2a-4f11-8a0b-0d6c2b7e4a99';

describe('LinkSigner', () => {
  const signer = new LinkSigner(config(NEW, OLD));

  it('signs with the first secret and verifies with every one (rotation)', () => {
    const signature = signer.sign('p:x:200');
    expect(signature).toMatch(/^[A-Za-z0-9_-]{22}$/); // 128 bits, base64url
    expect(signer.verify('p:x:200', signature)).toBe(true);
    expect(signer.verify('p:x:200', new LinkSigner(config(OLD)).sign('p:x:200'))).toBe(true);
    expect(new LinkSigner(config(OLD)).verify('p:x:200', signature)).toBe(false);
  });

  it('refuses another message, a changed character, and non-canonical or wrong-length encodings', () => {
    const signature = signer.sign('p:x:200');
    expect(signer.verify('p:x:400', signature)).toBe(false);
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    expect(signer.verify('p:x:200', flipped)).toBe(false);
    expect(signer.verify('p:x:200', signature.slice(0, -1))).toBe(false);
    expect(signer.verify('p:x:200', `${signature}A`)).toBe(false);
    expect(signer.verify('p:x:200', '')).toBe(false);
  });
});

describe('PermanentLinks', () => {
  const links = new PermanentLinks(new LinkSigner(config(NEW)), config(NEW));

  it('puts id, signature and variant in the URL, and verifies only that combination', () => {
    const url = links.url(IMAGE, '200', 'jpeg');
    const match = new RegExp(`^https://img\\.example/media/${IMAGE}/([^/]+)/200\\.jpg$`).exec(url);
    expect(match).not.toBeNull();
    expect(links.verify(IMAGE, '200', match![1])).toBe(true);
    expect(links.verify(IMAGE, '400', match![1])).toBe(false);
    expect(links.verify(LINK, '200', match![1])).toBe(false);
  });
});

describe('PermanentLinks verification cache', () => {
  const signerOf = (...secrets: string[]) => new LinkSigner(config(...secrets));

  it('checks a known link without an HMAC, and never lets a forgery of it through', () => {
    const signer = signerOf(NEW, OLD);
    const links = new PermanentLinks(signer, config(NEW, OLD));
    const signature = links.url(IMAGE, '200', 'jpeg').split('/')[5];
    const verify = jest.spyOn(signer, 'verify');
    expect(links.verify(IMAGE, '200', signature)).toBe(true);
    expect(verify).not.toHaveBeenCalled(); // the signature listings made is the one compared
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    expect(links.verify(IMAGE, '200', flipped)).toBe(false);
    expect(links.verify(IMAGE, '200', `${signature}A`)).toBe(false);
    expect(links.verify(IMAGE, '400', signature)).toBe(false);
    expect(verify).toHaveBeenCalledTimes(3); // every forgery met the full check
  });

  it('verifies a link signed with an older secret, and caches only what verified', () => {
    const signer = signerOf(NEW, OLD);
    const links = new PermanentLinks(signer, config(NEW, OLD));
    const forged = signerOf('a-third-secret-that-is-long-enough-0123456789').sign(`p:${IMAGE}:200`);
    expect(links.verify(IMAGE, '200', forged)).toBe(false);
    expect(links.verify(IMAGE, '200', forged)).toBe(false); // a refusal is never cached as a pass
    const old = signerOf(OLD).sign(`p:${IMAGE}:200`);
    expect(links.verify(IMAGE, '200', old)).toBe(true);
    expect(links.verify(IMAGE, '200', old)).toBe(true);
    const current = signerOf(NEW).sign(`p:${IMAGE}:200`);
    const verify = jest.spyOn(signer, 'verify');
    expect(links.verify(IMAGE, '200', current)).toBe(true); // cached by the first success
    expect(verify).not.toHaveBeenCalled();
  });
});

describe('ExpiringLinkTokens', () => {
  const tokens = new ExpiringLinkTokens(new LinkSigner(config(NEW)), config(NEW));
  const claims = { linkId: LINK, imageId: IMAGE, variant: 'original', expiresAt: new Date('2026-11-22T09:00:00.123Z') };
  const tokenOf = (url: string) => /\/media\/x\/([^/]+)\//.exec(url)![1];

  it('round-trips link id, image id and expiry to the millisecond', () => {
    const url = tokens.url(claims, 'png');
    expect(url).toMatch(/^https:\/\/img\.example\/media\/x\/[A-Za-z0-9_-]+\/original\.png$/);
    expect(tokens.verify(tokenOf(url), 'original')).toEqual(claims);
  });

  it('calls a swapped variant or an edited expiry forged, and a malformed token not found', () => {
    const token = tokenOf(tokens.url(claims, 'png'));
    expect(() => tokens.verify(token, '200')).toThrow(LinkForgedError);
    const raw = Buffer.from(token, 'base64url');
    raw.writeUIntBE(claims.expiresAt.getTime() + 3600_000, 32, 6); // one more hour
    expect(() => tokens.verify(raw.toString('base64url'), 'original')).toThrow(LinkForgedError);
    expect(() => tokens.verify(token.slice(0, -2), 'original')).toThrow(LinkNotFoundError);
    expect(() => tokens.verify(`${token}==`, 'original')).toThrow(LinkNotFoundError);
    expect(() => tokens.verify('', 'original')).toThrow(LinkNotFoundError);
  });

  it('does not judge expiry itself: that is the serving path’s, against its clock', () => {
    const past = { ...claims, expiresAt: new Date(0) };
    expect(tokens.verify(tokenOf(tokens.url(past, 'jpeg')), 'original')).toEqual(past);
    expect(new LinkExpiredError(past.expiresAt).message).toBe('This link expired at 1970-01-01T00:00:00.000Z');
  });
});

describe('parseLinkFile', () => {
  it.each([
    ['200.jpg', { variant: '200', extension: 'jpg' }],
    ['original.png', { variant: 'original', extension: 'png' }],
    ['99999.png', { variant: '99999', extension: 'png' }],
  ])('%s', (file, parsed) => expect(parseLinkFile(file)).toEqual(parsed));

  it.each(['0200.jpg', '200.jpeg', '200.gif', 'original', '../200.jpg', '100000.png', 'ORIGINAL.png', '200.jpg/'])(
    'refuses %s',
    (file) => expect(() => parseLinkFile(file)).toThrow(LinkNotFoundError),
  );
});
