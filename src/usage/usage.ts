/** What a user uses, as GET /api/auth/me and the admin panel show it. */
export interface Usage {
  images: number;
  storedBytes: number;
  /** Uploads in the last 24 hours (rolling). */
  uploadsToday: number;
}

/** The rolling window of `uploadsPerDay`. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How long a reservation (bytes promised to an upload in flight) counts: far longer than storing one upload
 * takes; after it, a reservation left by a crashed process stops counting and is pruned.
 */
export const RESERVATION_TTL_MS = 15 * 60 * 1000;
