import type { Request } from 'express';
import { mediaRouteLabel, redactMediaUrl } from '../links/media-url.js';
import { acceptedRequestId, routeLabel as labelOf, UNMATCHED_ROUTE } from './request-labels.js';

const routeLabel = (request: Request) => labelOf(request, { route: mediaRouteLabel, redact: redactMediaUrl });

const req = (originalUrl: string, route?: string, baseUrl = '') =>
  ({ originalUrl, baseUrl, route: route === undefined ? undefined : { path: route } }) as unknown as Request;

describe('acceptedRequestId', () => {
  it('takes 1 to 64 letters, digits, - and _ only', () => {
    expect(acceptedRequestId('abc-DEF_123')).toBe('abc-DEF_123');
    expect(acceptedRequestId('a'.repeat(64))).toBe('a'.repeat(64));
    for (const bad of ['a'.repeat(65), '', 'has space', 'semi;colon', 'new\nline', 'é']) {
      expect(acceptedRequestId(bad)).toBeUndefined();
    }
    expect(acceptedRequestId(['a', 'b'])).toBeUndefined();
    expect(acceptedRequestId(undefined)).toBeUndefined();
  });
});

describe('routeLabel', () => {
  it('uses the matched route template, with the router’s mount point', () => {
    expect(routeLabel(req('/api/images/5f1e', '/api/images/:id'))).toBe('/api/images/:id');
    expect(
      routeLabel(req('/admin/resources/User/actions/list', '/resources/:resourceId/actions/:action', '/admin')),
    ).toBe('/admin/resources/:resourceId/actions/:action');
  });

  it('classifies media links by shape, whoever serves them', () => {
    expect(routeLabel(req('/media/5f1e/sig/200.jpg'))).toBe('/media/:id/:sig/:file');
    expect(routeLabel(req('/media/x/token/original.png?a=b'))).toBe('/media/x/:token/:file');
    expect(routeLabel(req('/media/5f1e/sig/200.jpg', '/media/:imageId/:signature/:file'))).toBe(
      '/media/:id/:sig/:file',
    );
    expect(routeLabel(req('/media/too/many/parts/here'))).toBe(UNMATCHED_ROUTE);
  });

  it('never returns a raw path: unmatched, middleware catch-alls and static files get fixed labels', () => {
    expect(routeLabel(req('/no/such/thing'))).toBe(UNMATCHED_ROUTE);
    expect(routeLabel(req('/no/such/thing', '{/*splat}'))).toBe(UNMATCHED_ROUTE);
    expect(routeLabel(req('/api/docs/swagger-ui-bundle.js'))).toBe('/api/docs/*');
    expect(routeLabel(req('/admin/frontend/assets/app.bundle.js'))).toBe('/admin/*');
  });
});
