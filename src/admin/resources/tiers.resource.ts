import '../admin-env.js'; // before adminjs
import type { ActionRequest, ActionResponse, RecordJSON, ResourceWithOptions } from 'adminjs';
import { Tier } from '../../tiers/tier.entity.js';
import { Components } from '../component-loader.js';
import { dropParams, eachRecord, isPost, keepParams, takeArrayParam } from '../hooks.js';
import { TypeormResource } from '../typeorm-resource.js';
import { type AdminDeps, formBoolean } from './shared.js';

const tierBefore = async (request: ActionRequest) => {
  if (isPost(request) && request.payload)
    keepParams(request.payload, 'name', 'sizeIds', 'originalLink', 'expiringLinks');
  return request;
};

export function tiersResource({ tiers }: AdminDeps): ResourceWithOptions {
  const save = (id: string | null, p: Record<string, unknown>) =>
    tiers.saveTier(id === null ? null : Number(id), {
      name: String(p.name ?? ''),
      originalLink: formBoolean(p.originalLink),
      expiringLinks: formBoolean(p.expiringLinks),
      sizeIds: takeArrayParam(p, 'sizeIds')?.map(Number),
    });

  // Fills the virtual sizeIds.N params (with their populated records, for labels) and thumbnailHeights.
  const loadSizes = async (response: ActionResponse) => {
    const records: RecordJSON[] = [];
    await eachRecord(response, (r) => void (r.id && records.push(r)));
    if (!records.length) return response;
    const sizesOf = await tiers.sizesOf(records.map((r) => Number(r.id)));
    for (const r of records) {
      const sizes = sizesOf.get(Number(r.id)) ?? [];
      dropParams(r.params, 'sizeIds');
      sizes.forEach((s, i) => {
        r.params[`sizeIds.${i}`] = s.id;
        r.populated[`sizeIds.${i}`] = {
          id: String(s.id),
          title: String(s.height),
          params: { id: s.id, height: s.height },
        } as unknown as RecordJSON;
      });
      r.params.thumbnailHeights = sizes.map((s) => s.height).join(', ') || '-';
    }
    return response;
  };

  return {
    resource: new TypeormResource(Tier, { save, delete: (id) => tiers.deleteTier(Number(id)) }),
    options: {
      navigation: { name: 'Accounts', icon: 'Layers' },
      titleProperty: 'name',
      sort: { sortBy: 'name', direction: 'asc' },
      listProperties: ['name', 'thumbnailHeights', 'originalLink', 'expiringLinks'],
      showProperties: ['id', 'name', 'sizeIds', 'originalLink', 'expiringLinks'],
      editProperties: ['name', 'sizeIds', 'originalLink', 'expiringLinks'],
      filterProperties: ['name', 'originalLink', 'expiringLinks'],
      properties: {
        name: { isTitle: true, isRequired: true },
        sizeIds: {
          type: 'reference',
          reference: 'Size',
          isArray: true,
          isSortable: false,
          components: { edit: Components.SizeMultiSelect },
          description: 'Thumbnail heights this tier grants.',
        },
        thumbnailHeights: { type: 'string', isSortable: false },
        originalLink: { description: 'Image responses link the original file.' },
        expiringLinks: { description: 'Owners may create expiring links.' },
      },
      actions: {
        new: { before: tierBefore, after: loadSizes },
        edit: { before: tierBefore, after: loadSizes },
        show: { after: loadSizes },
        list: { after: loadSizes },
      },
    },
  };
}
