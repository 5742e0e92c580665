import '../admin-env.js'; // before adminjs
import type { ResourceWithOptions } from 'adminjs';
import { expiringLinksResource } from './expiring-links.resource.js';
import { imagesResource } from './images.resource.js';
import { type AdminDeps, stripSecrets } from './shared.js';
import { sizesResource } from './sizes.resource.js';
import { tiersResource } from './tiers.resource.js';
import { usersResource } from './users.resource.js';

export type { AdminDeps } from './shared.js';

const ALL_ACTIONS = ['list', 'show', 'new', 'edit', 'delete', 'bulkDelete', 'search'] as const;

/** The panel's resources; every write goes through the feature services in `deps`. */
export function buildResources(deps: AdminDeps): ResourceWithOptions[] {
  const all = [usersResource, tiersResource, sizesResource, imagesResource, expiringLinksResource].map((build) =>
    build(deps),
  );
  // Whatever the action (custom ones included), and for referenced records too: strip the password hash from
  // what goes to the browser.
  for (const { options } of all) {
    const actions = (options.actions ??= {}) as Record<string, { after?: unknown }>;
    for (const name of new Set([...ALL_ACTIONS, ...Object.keys(actions)])) {
      const action = (actions[name] ??= {});
      const after = action.after ? (Array.isArray(action.after) ? action.after : [action.after]) : [];
      action.after = [...after, stripSecrets];
    }
  }
  return all;
}
