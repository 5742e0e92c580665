import {
  expiringMediaPath,
  isExpiringLink,
  isMediaUrl,
  linkLabels,
  MEDIA_ROUTES,
  mediaLinkParts,
  mediaRouteLabel,
  permanentMediaPath,
  redactMediaUrl,
} from './media-url.js';

const IMAGE = '6c0d2a43-8a8d-4d7e-9a57-1f0a6f5b2c11';

describe('media-url: building and parsing both kinds', () => {
  it('parses what it builds, each kind as itself', () => {
    const permanent = mediaLinkParts(permanentMediaPath(IMAGE, 'sig', '200', 'jpeg'))!;
    expect(permanent).toEqual(['', 'media', IMAGE, 'sig', '200.jpg']);
    expect(isExpiringLink(permanent)).toBe(false);
    const expiring = mediaLinkParts(`${expiringMediaPath('tok', 'original', 'png')}?a=b`)!;
    expect(expiring).toEqual(['', 'media', 'x', 'tok', 'original.png']);
    expect(isExpiringLink(expiring)).toBe(true);
  });

  it('takes any case, one trailing slash and percent-encoding, as a router did; refuses other shapes', () => {
    expect(isMediaUrl('/MEDIA/X/tok/200.jpg')).toBe(true);
    expect(isExpiringLink(mediaLinkParts('/MEDIA/X/tok/200.jpg')!)).toBe(true);
    expect(mediaLinkParts('/media/id/sig/200.jpg/')).toEqual(['', 'media', 'id', 'sig', '200.jpg']);
    expect(mediaLinkParts('/media/id/s%69g/200.jpg')).toEqual(['', 'media', 'id', 'sig', '200.jpg']);
    expect(() => mediaLinkParts('/media/x/%00%ff/200.jpg')).toThrow(URIError);
    expect(mediaLinkParts('/media/too/many/parts/here')).toBeUndefined();
    expect(mediaLinkParts('/media/id/200.jpg')).toBeUndefined();
    expect(isMediaUrl('/api/images')).toBe(false);
    expect(isMediaUrl('//media/id/sig/200.jpg')).toBe(false);
  });

  it.each([
    ['/media/5f1e/sig/200.jpg', MEDIA_ROUTES.permanent],
    ['/media/x/token/original.png', MEDIA_ROUTES.expiring],
    ['/MEDIA/x/token/original.png', MEDIA_ROUTES.expiring],
    ['/media/too/many/parts/here', undefined],
    ['/media//sig/200.jpg', undefined],
    ['/api/images/5f1e', undefined],
  ])('labels %s as %s', (path, label) => expect(mediaRouteLabel(path)).toBe(label));
});

describe('redactMediaUrl', () => {
  it.each([
    ['/media/6c0d-id/kq1Signature/200.jpg', '/media/6c0d-id/[redacted]/200.jpg'],
    ['/media/6c0d-id/kq1Signature/original.png?x=1', '/media/6c0d-id/[redacted]/original.png?x=1'],
    ['/media/x/m7QToken.part/original.jpg', '/media/x/[redacted]/original.jpg'],
    ['/media/x/m7QToken', '/media/x/[redacted]'],
    ['/MEDIA/X/m7QToken/200.jpg', '/MEDIA/X/[redacted]/200.jpg'],
    ['//media//id/sig/200.jpg', '//media//id/[redacted]/200.jpg'],
    ['/media/id/sig', '/media/id/[redacted]'],
    ['/media/id', '/media/id'],
    ['/api/images/123?limit=2', '/api/images/123?limit=2'],
    ['/admin/resources/User', '/admin/resources/User'],
  ])('%s → %s', (path, expected) => {
    expect(redactMediaUrl(path)).toBe(expected);
  });
});

describe('linkLabels: a link request labelled from its parts, no regex', () => {
  it.each([
    ['/media/6c0d-id/kq1Signature/200.jpg', MEDIA_ROUTES.permanent],
    ['/media/6c0d-id/kq1Signature/original.png?x=1&y=%20', MEDIA_ROUTES.permanent],
    ['/media/6c0d-id/kq1Signature/200.jpg/', MEDIA_ROUTES.permanent],
    ['/MEDIA/6c0d-id/kq1Signature/200.jpg', MEDIA_ROUTES.permanent],
    ['/media/6c0d-id/kq1Sign%61ture/200.jpg', MEDIA_ROUTES.permanent],
    ['/media/x/m7QToken.part/original.jpg', MEDIA_ROUTES.expiring],
    ['/MEDIA/X/m7QToken/200.jpg?download=1', MEDIA_ROUTES.expiring],
    ['/media/x/m7Q%54oken/200.jpg', MEDIA_ROUTES.expiring],
  ])('%s: %s, and the URL as redactMediaUrl gives it', (url, route) => {
    const labels = linkLabels(url, mediaLinkParts(url)!);
    expect(labels).toEqual({ route, path: redactMediaUrl(url) });
    expect(labels.path).toContain('[redacted]');
  });
});
