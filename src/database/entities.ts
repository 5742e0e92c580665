import { RefreshToken } from '../auth/refresh-token.entity.js';
import { ExpiringLink } from '../expiring-links/expiring-link.entity.js';
import { Image } from '../images/image.entity.js';
import { Size } from '../tiers/size.entity.js';
import { Tier } from '../tiers/tier.entity.js';
import { User } from '../users/user.entity.js';

/** Every entity, listed once (explicit imports: ESM has no glob loading). */
export const entities = [Size, Tier, User, Image, ExpiringLink, RefreshToken];
