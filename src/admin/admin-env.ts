// Side-effect module: every file of src/admin that imports 'adminjs' (directly or through @adminjs/*) imports this
// one first. AdminJS reads NODE_ENV and ADMIN_JS_TMP_DIR once, when it is first imported
// (adminjs/lib/backend/bundler/utils/constants.js and backend/utils/router/router.js).
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: this file is src/admin/admin-env.ts under jest and dist/admin/admin-env.js when built. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Where `npm run build` writes the components bundle (and AdminJS its entry file). Under dist/ so that whatever
 * ships dist/ (the Dockerfile) ships the bundle too. No segment may start with a dot: Express 5's res.sendFile()
 * refuses dot-folders (the AdminJS default `.adminjs` answers 404 in production mode).
 */
export const ADMIN_BUNDLE_DIR = (process.env.ADMIN_JS_TMP_DIR ||= join(ROOT, 'dist', 'admin-bundle'));
export const ADMIN_BUNDLE_FILE = join(ADMIN_BUNDLE_DIR, 'bundle.js');

if (ADMIN_BUNDLE_DIR.split(sep).some((segment) => segment.startsWith('.') && segment !== '.' && segment !== '..')) {
  console.warn(
    `AdminJS: ADMIN_JS_TMP_DIR=${ADMIN_BUNDLE_DIR} has a segment starting with "."; its files will answer 404`,
  );
}

// Set by src/admin/bundle.ts (the build step), which must bundle rather than skip.
const bundling = process.env.ADMIN_JS_BUNDLING === 'true';

// Production mode: serve the bundle made at build time instead of bundling at every start. Outside production,
// AdminJS serves components.bundle.js from the same file when it exists (and builds it once when it does not).
if (!bundling && process.env.NODE_ENV === 'production' && process.env.ADMIN_JS_SKIP_BUNDLE === undefined) {
  if (existsSync(ADMIN_BUNDLE_FILE)) {
    process.env.ADMIN_JS_SKIP_BUNDLE = 'true';
  } else {
    console.warn(
      `AdminJS: ${ADMIN_BUNDLE_FILE} is missing (run npm run build); bundling the admin components at start-up`,
    );
  }
}
