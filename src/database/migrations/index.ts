import { InitialSchema1763800000000 } from './1763800000000-initial-schema.js';

/** In order; each runs in its own transaction at start-up. */
export const migrations = [InitialSchema1763800000000];
