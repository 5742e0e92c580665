import './admin-env.js'; // before adminjs
import { ComponentLoader } from 'adminjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The .tsx sources live in src/admin/components; AdminJS bundles them with its own rollup + babel (tsc never sees
// them). The build also copies them to dist/admin/components (src/admin/bundle.ts), because AdminJS checks that
// each file exists even when it serves the pre-built bundle, and a deployment may ship dist/ alone. So: the
// sources when this is a checkout (jest, npm start, ADMIN_JS_WATCH follows edits), else the copy next to this file.
// Absolute paths: AdminJS resolves relative ones from the caller's stack frame.
const sources = fileURLToPath(new URL('../../src/admin/components', import.meta.url));
const copies = fileURLToPath(new URL('./components', import.meta.url));
const directory = existsSync(sources) ? sources : copies;

export const componentLoader = new ComponentLoader();

export const Components = {
  ImageThumb: componentLoader.add('ImageThumb', join(directory, 'ImageThumb.tsx')),
  SizeMultiSelect: componentLoader.add('SizeMultiSelect', join(directory, 'SizeMultiSelect.tsx')),
  LinkState: componentLoader.add('LinkState', join(directory, 'LinkState.tsx')),
};
