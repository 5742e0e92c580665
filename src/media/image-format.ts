/** The formats the service takes, with their file extension in links and their media type. */
export type ImageFormat = 'png' | 'jpeg';

export const EXTENSIONS: Record<ImageFormat, string> = { png: 'png', jpeg: 'jpg' };
export const CONTENT_TYPES: Record<ImageFormat, string> = { png: 'image/png', jpeg: 'image/jpeg' };
