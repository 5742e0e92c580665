import { DomainError } from '../common/domain-error.js';
import type { TierView } from './tier-view.js';

/** What a link points at: "original", or a thumbnail height such as "200". */
export type Variant = 'original' | `${number}`;

/** "original" or a height of 1 to 5 digits without a leading zero. */
export const VARIANT_PATTERN = /^(original|[1-9]\d{0,4})$/;

export const isVariant = (value: unknown): value is Variant => typeof value === 'string' && VARIANT_PATTERN.test(value);

/** The one rule: does this tier grant this variant (its original link, or this thumbnail height)? */
export function tierGrants(tier: TierView, variant: Variant | string): boolean {
  if (variant === 'original') return tier.originalLink;
  return isVariant(variant) && tier.thumbnailHeights.includes(Number(variant));
}

/** The variants a tier grants, as a client would name them. */
export function grantedVariants(tier: TierView): string[] {
  return [...tier.thumbnailHeights.map(String), ...(tier.originalLink ? ['original'] : [])];
}

/** The owner's plan does not include this image size (a link to it, or an expiring link for it). */
export class VariantNotGrantedError extends DomainError {
  readonly kind = 'forbidden';
}

/** The caller's plan does not include a feature (expiring links). */
export class PlanFeatureError extends DomainError {
  readonly kind = 'forbidden';
}
