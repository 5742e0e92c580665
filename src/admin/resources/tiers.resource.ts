import '../admin-env.js'; // before adminjs
import type { ActionRequest, ActionResponse, RecordJSON, ResourceWithOptions } from 'adminjs';
import { ByteSizeError, formatByteSize, parseByteSize } from '../../common/byte-size.js';
import { Tier } from '../../tiers/tier.entity.js';
import { Components } from '../component-loader.js';
import { fieldError } from '../form-errors.js';
import { dropParams, eachRecord, isPost, keepParams, takeArrayParam } from '../hooks.js';
import { TypeormResource } from '../typeorm-resource.js';
import { type AdminDeps, formBoolean, isUnset } from './shared.js';

const LIMIT_FIELDS = ['maxUpload', 'storageQuota', 'uploadsPerDay'];

const tierBefore = async (request: ActionRequest) => {
  if (isPost(request) && request.payload)
    keepParams(request.payload, 'name', 'sizeIds', 'originalLink', 'expiringLinks', ...LIMIT_FIELDS);
  return request;
};

/** A byte limit typed in the form ("50 MiB", "1GiB", plain bytes; empty or "none": no limit). */
function byteLimit(field: string, value: unknown): number | null {
  if (isUnset(value) || String(value).trim().toLowerCase() === 'none') return null;
  try {
    return parseByteSize(String(value));
  } catch (error) {
    if (error instanceof ByteSizeError)
      throw fieldError(field, `${error.message[0].toUpperCase()}${error.message.slice(1)}.`);
    throw error;
  }
}

function countLimit(field: string, value: unknown): number | null {
  if (isUnset(value) || String(value).trim().toLowerCase() === 'none') return null;
  const count = /^\s*\d+\s*$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isSafeInteger(count) || count < 1 || count > 2 ** 31 - 1) {
    throw fieldError(field, 'A whole number of uploads from 1, or empty for no limit.');
  }
  return count;
}

export function tiersResource({ tiers }: AdminDeps): ResourceWithOptions {
  const save = (id: string | null, p: Record<string, unknown>) =>
    tiers.saveTier(id === null ? null : Number(id), {
      name: String(p.name ?? ''),
      originalLink: formBoolean(p.originalLink),
      expiringLinks: formBoolean(p.expiringLinks),
      sizeIds: takeArrayParam(p, 'sizeIds')?.map(Number),
      limits: {
        maxUploadBytes: byteLimit('maxUpload', p.maxUpload),
        storageQuotaBytes: byteLimit('storageQuota', p.storageQuota),
        uploadsPerDay: countLimit('uploadsPerDay', p.uploadsPerDay),
      },
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
      // The byte limits as a person reads and types them; empty: no limit.
      for (const [field, column] of [
        ['maxUpload', 'maxUploadBytes'],
        ['storageQuota', 'storageQuotaBytes'],
      ]) {
        const bytes = r.params[column];
        r.params[field] = bytes === null || bytes === undefined || bytes === '' ? '' : formatByteSize(Number(bytes));
      }
    }
    return response;
  };

  return {
    resource: new TypeormResource(Tier, { save, delete: (id) => tiers.deleteTier(Number(id)) }),
    options: {
      navigation: { name: 'Accounts', icon: 'Layers' },
      titleProperty: 'name',
      sort: { sortBy: 'name', direction: 'asc' },
      listProperties: ['name', 'thumbnailHeights', 'originalLink', 'expiringLinks', ...LIMIT_FIELDS],
      showProperties: ['id', 'name', 'sizeIds', 'originalLink', 'expiringLinks', ...LIMIT_FIELDS],
      editProperties: ['name', 'sizeIds', 'originalLink', 'expiringLinks', ...LIMIT_FIELDS],
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
        maxUpload: {
          type: 'string',
          isSortable: false,
          description:
            'Largest file per upload, such as 50 MiB (units B, KiB, MiB, GiB). Empty: the server limit only.',
        },
        storageQuota: {
          type: 'string',
          isSortable: false,
          description: 'Stored bytes allowed per user (originals and every thumbnail), such as 1 GiB. Empty: no quota.',
        },
        uploadsPerDay: { type: 'number', description: 'Uploads per user in any 24 hours. Empty: no limit.' },
        maxUploadBytes: { isVisible: false },
        storageQuotaBytes: { isVisible: false },
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
