/** Storage key layout: everything of one image under one prefix, so a delete is one prefix removal. */
export const imagePrefix = (imageId: string) => `images/${imageId}/`;
export const originalKey = (imageId: string) => `${imagePrefix(imageId)}original`;

/** Formats a thumbnail is kept in besides the original's own (media's ExtraFormat; storage names no codec). */
export type ExtraKeyFormat = 'webp' | 'avif';

/**
 * A thumbnail `height` high: in the original's format under `h{height}` (the key it always had, so thumbnails
 * kept before other formats existed stay valid), in another format under `h{height}.{format}`. All of them
 * sit under imagePrefix, so deleting an image removes every format.
 */
export const thumbnailKey = (imageId: string, height: number, format?: ExtraKeyFormat) =>
  format ? `${imagePrefix(imageId)}h${height}.${format}` : `${imagePrefix(imageId)}h${height}`;
