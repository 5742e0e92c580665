import sharp, { type Metadata } from 'sharp';
import { InvalidImageError } from './media.errors.js';

/**
 * A header read (`metadata()`) answers within this or the image is refused (400). sharp has no `timeout` for
 * it and libvips cannot cancel it: the read goes on in the thread pool, but the request (and the decode slot)
 * no longer waits for it. A header read only parses markers and chunks up to the first pixels (milliseconds
 * for a 20 MiB file here), so a few seconds is generous.
 */
export const HEADER_TIMEOUT_MS = 5000;

/** The image's header within `timeoutMs`, else InvalidImageError. */
export async function readHeader(
  input: string | Buffer,
  limitInputPixels: number,
  timeoutMs: number,
): Promise<Metadata> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InvalidImageError('The image header could not be read in time')), timeoutMs);
  });
  try {
    return await Promise.race([sharp(input, { limitInputPixels }).metadata(), late]);
  } finally {
    clearTimeout(timer);
  }
}
