import { EXTENSIONS, type ImageFormat } from '../media/image-format.js';
import { VARIANT_PATTERN, type Variant } from '../tiers/variant.js';
import { LinkNotFoundError } from './link.errors.js';

const FILE = new RegExp(`^${VARIANT_PATTERN.source.slice(1, -1)}\\.(${Object.values(EXTENSIONS).join('|')})$`);

/** The last segment of every link: `{variant}.{extension}`, such as `200.jpg` or `original.png`. */
export function linkFile(variant: Variant, format: ImageFormat): string {
  return `${variant}.${EXTENSIONS[format]}`;
}

/** Splits a link's last segment; LinkNotFoundError when it is not one this service makes. */
export function parseLinkFile(file: string): { variant: Variant; extension: string } {
  const match = FILE.exec(file);
  if (!match) throw new LinkNotFoundError();
  return { variant: match[1] as Variant, extension: match[2] };
}
