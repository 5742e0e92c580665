import { InitialSchema1763800000000 } from './1763800000000-initial-schema.js';
import { ExpiringLinksAndAdminSessions1763810000000 } from './1763810000000-expiring-links-and-admin-sessions.js';
import { CacheNotifications1763830000000 } from './1763830000000-cache-notifications.js';
import { RefreshTokens1763870000000 } from './1763870000000-refresh-tokens.js';
import { ImagePlaceholders1763919000000 } from './1763919000000-image-placeholders.js';
import { TierLimitsAndUsage1763920000000 } from './1763920000000-tier-limits-and-usage.js';
import { ImagePageNotifications1763930000000 } from './1763930000000-image-page-notifications.js';

/** In order; each runs in its own transaction at start-up. */
export const migrations = [
  InitialSchema1763800000000,
  ExpiringLinksAndAdminSessions1763810000000,
  CacheNotifications1763830000000,
  RefreshTokens1763870000000,
  ImagePlaceholders1763919000000,
  TierLimitsAndUsage1763920000000,
  ImagePageNotifications1763930000000,
];
