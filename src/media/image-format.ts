/** The formats the service takes, with their file extension in links and their media type. */
export type ImageFormat = 'png' | 'jpeg';
/** Formats thumbnails may also be made in, besides the original's own (THUMBNAIL_FORMATS). */
export type ExtraFormat = 'avif' | 'webp';
/** What a stored thumbnail is encoded as. */
export type ThumbnailFormat = ImageFormat | ExtraFormat;

/** Every extra format, best (smallest) first: the order negotiation prefers them in. */
export const EXTRA_FORMATS: readonly ExtraFormat[] = ['avif', 'webp'];

export const EXTENSIONS: Record<ImageFormat, string> = { png: 'png', jpeg: 'jpg' };
export const CONTENT_TYPES: Record<ThumbnailFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  avif: 'image/avif',
};
