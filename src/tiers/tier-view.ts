import type { TierLimits } from './tier.rules.js';

/** What a tier grants and how far it limits use, as the API shows it. */
export interface TierView extends TierLimits {
  id: number;
  name: string;
  thumbnailHeights: number[];
  originalLink: boolean;
  expiringLinks: boolean;
}
