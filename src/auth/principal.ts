import type { TierView } from '../tiers/tier-view.js';

/** The authenticated caller (or an image's owner) and what their tier grants them right now. */
export interface Principal {
  id: string;
  username: string;
  isAdmin: boolean;
  tier: TierView;
}
