import '../admin-env.js'; // before adminjs
import { type ActionResponse, NotFoundError, type ResourceWithOptions } from 'adminjs';
import { ExpiringLink } from '../../expiring-links/expiring-link.entity.js';
import { displayState } from '../../expiring-links/expiring-links.service.js';
import { Components } from '../component-loader.js';
import { eachRecord, headerOf } from '../hooks.js';
import { TypeormResource } from '../typeorm-resource.js';
import { type AdminDeps, NO_FORMS, READ_ONLY } from './shared.js';

export function expiringLinksResource({ expiringLinks, clock }: AdminDeps): ResourceWithOptions {
  const addState = async (response: ActionResponse) => {
    const now = clock.now();
    await eachRecord(response, (r) => {
      if (!r.id) return;
      const expiresAt = new Date(r.params.expiresAt ? String(r.params.expiresAt) : 0);
      r.params.state = displayState(
        { expiresAt, revokedAt: r.params.revokedAt ? new Date(r.params.revokedAt) : null },
        now,
      );
    });
    return response;
  };

  return {
    // No delete: revoke instead, the row is the audit trail.
    resource: new TypeormResource(ExpiringLink),
    options: {
      navigation: { name: 'Content', icon: 'Link' },
      titleProperty: 'id',
      sort: { sortBy: 'createdAt', direction: 'desc' },
      listProperties: ['imageId', 'variant', 'state', 'expiresAt', 'createdById', 'createdAt'],
      showProperties: ['id', 'imageId', 'variant', 'state', 'expiresAt', 'revokedAt', 'createdById', 'createdAt'],
      filterProperties: ['imageId', 'variant', 'createdById', 'expiresAt', 'revokedAt', 'createdAt'],
      properties: {
        imageId: { reference: 'Image', ...READ_ONLY },
        createdById: { reference: 'User', ...READ_ONLY },
        state: {
          type: 'string',
          isSortable: false,
          components: { list: Components.LinkState, show: Components.LinkState },
        },
      },
      actions: {
        ...NO_FORMS,
        delete: { isAccessible: false, isVisible: false },
        bulkDelete: { isAccessible: false, isVisible: false },
        list: { after: addState },
        show: { after: addState },
        revoke: {
          actionType: 'record',
          icon: 'Slash',
          variant: 'danger',
          guard: 'Revoke this link? It stops working immediately.',
          component: false,
          isVisible: ({ record }) => !record?.params?.revokedAt,
          handler: async (request, _response, context) => {
            const { record, resource, currentAdmin, h } = context;
            if (!record) throw new NotFoundError('No such expiring link', 'revoke');
            // AdminJS runs component-less record actions with a GET, so this state change happens on a GET:
            // refuse requests a browser marks as coming from another site (SameSite=Lax cookies ride along
            // on top-level cross-site GETs).
            const site = headerOf(request, 'sec-fetch-site');
            if (site && site !== 'same-origin') {
              return {
                record: record.toJSON(currentAdmin),
                notice: { message: 'Cross-site request refused', type: 'error' },
              };
            }
            await expiringLinks.revoke(String(record.id()));
            const fresh = (await resource.findOne(String(record.id()), context)) ?? record;
            return {
              record: fresh.toJSON(currentAdmin),
              redirectUrl: h.resourceUrl({ resourceId: resource._decorated?.id() ?? resource.id() }),
              notice: { message: 'Link revoked', type: 'success' },
            };
          },
          after: addState,
        },
      },
    },
  };
}
