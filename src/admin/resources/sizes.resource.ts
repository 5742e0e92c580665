import '../admin-env.js'; // before adminjs
import { type ActionRequest, BaseRecord, type ResourceWithOptions } from 'adminjs';
import { Size } from '../../tiers/size.entity.js';
import { MAX_HEIGHT, MIN_HEIGHT } from '../../tiers/tier.rules.js';
import { isPost, keepParams } from '../hooks.js';
import { TypeormResource } from '../typeorm-resource.js';
import { type AdminDeps, isUnset } from './shared.js';

const sizeBefore = async (request: ActionRequest) => {
  if (isPost(request) && request.payload) keepParams(request.payload, 'height');
  return request;
};

export function sizesResource({ tiers }: AdminDeps): ResourceWithOptions {
  const save = (id: string | null, p: Record<string, unknown>) =>
    tiers.saveSize(id === null ? null : Number(id), isUnset(p.height) ? NaN : Number(p.height));

  return {
    resource: new TypeormResource(Size, { save, delete: (id) => tiers.deleteSize(Number(id)) }),
    options: {
      navigation: { name: 'Accounts', icon: 'Maximize2' },
      titleProperty: 'height',
      sort: { sortBy: 'height', direction: 'asc' },
      listProperties: ['height'],
      showProperties: ['id', 'height'],
      editProperties: ['height'],
      filterProperties: ['height'],
      properties: {
        height: { isRequired: true, description: `Thumbnail height in pixels, ${MIN_HEIGHT} to ${MAX_HEIGHT}.` },
      },
      actions: {
        new: { before: sizeBefore },
        edit: { before: sizeBefore },
        // What the tier form's size picker calls: heights starting with the typed digits ("1" finds 100, 150),
        // where the default search compares the number for equality (and fails on non-digits).
        search: {
          handler: async (request, _response, context) => {
            const typed = String(request.params?.query ?? '').trim();
            const digits = typed.replace(/\D/g, '');
            if (typed && !digits) return { records: [] };
            const sizes = await tiers.searchSizes(digits);
            return {
              records: sizes.map((size) => new BaseRecord({ ...size }, context.resource).toJSON(context.currentAdmin)),
            };
          },
        },
        delete: { guard: 'Delete this size? Every tier that grants it stops granting it.' },
        bulkDelete: { guard: 'Delete these sizes? Every tier that grants them stops granting them.' },
      },
    },
  };
}
