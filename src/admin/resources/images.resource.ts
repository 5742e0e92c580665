import '../admin-env.js'; // before adminjs
import type { ActionResponse, ResourceWithOptions } from 'adminjs';
import { Image } from '../../images/image.entity.js';
import type { ImageFormat } from '../../media/image-format.js';
import type { Variant } from '../../tiers/variant.js';
import { Components } from '../component-loader.js';
import { eachRecord } from '../hooks.js';
import { TypeormResource } from '../typeorm-resource.js';
import { type AdminDeps, NO_FORMS } from './shared.js';

export function imagesResource({ images, grants, links }: AdminDeps): ResourceWithOptions {
  /** The owner's smallest granted thumbnail, else the original if granted, else none. */
  const previewUrl = async (imageId: string, ownerId: string, format: ImageFormat): Promise<string | null> => {
    const owner = await grants.forUser(ownerId);
    if (!owner) return null;
    const heights = owner.tier.thumbnailHeights;
    const variant: Variant | null = heights.length
      ? `${Math.min(...heights)}`
      : owner.tier.originalLink
        ? 'original'
        : null;
    return variant ? links.url(imageId, variant, format) : null;
  };
  const addPreview = async (response: ActionResponse) => {
    await eachRecord(response, async (r) => {
      if (!r.id) return;
      r.params.previewUrl = await previewUrl(String(r.id), String(r.params.ownerId), r.params.format as ImageFormat);
    });
    return response;
  };

  return {
    // Row and stored files go together; its links answer 404 from then on.
    resource: new TypeormResource(Image, { delete: async (id) => void (await images.removeById(id)) }),
    options: {
      navigation: { name: 'Content', icon: 'Image' },
      titleProperty: 'id',
      sort: { sortBy: 'createdAt', direction: 'desc' },
      listProperties: ['previewUrl', 'title', 'ownerId', 'format', 'width', 'height', 'bytes', 'createdAt'],
      showProperties: [
        'previewUrl',
        'id',
        'title',
        'description',
        'ownerId',
        'format',
        'width',
        'height',
        'bytes',
        'createdAt',
      ],
      filterProperties: ['title', 'ownerId', 'format', 'createdAt'],
      properties: {
        previewUrl: {
          type: 'string',
          isSortable: false,
          components: { list: Components.ImageThumb, show: Components.ImageThumb },
        },
        ownerId: { reference: 'User' },
        format: {
          availableValues: [
            { value: 'png', label: 'PNG' },
            { value: 'jpeg', label: 'JPEG' },
          ],
        },
        description: { type: 'textarea' },
        bytes: { description: 'File size in bytes' },
      },
      actions: {
        ...NO_FORMS,
        list: { after: addPreview },
        show: { after: addPreview },
        delete: { guard: 'Delete this image? Its stored files go too and every link to it stops working.' },
        bulkDelete: { guard: 'Delete these images? Their stored files go too and every link to them stops working.' },
      },
    },
  };
}
