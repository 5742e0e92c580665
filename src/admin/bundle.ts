// Build step (`npm run build` runs it after tsc; so does the test global setup): bundles the admin panel's
// React components once, in production mode (minified), into $ADMIN_JS_TMP_DIR/bundle.js (default
// dist/admin-bundle/bundle.js). The server then serves that file and never bundles nor watches.
//   node dist/admin/bundle.js
import { cpSync, existsSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Before adminjs is imported (dynamic imports below): it reads these once.
process.env.NODE_ENV = 'production';
process.env.ADMIN_JS_BUNDLING = 'true';
delete process.env.ADMIN_JS_SKIP_BUNDLE;

// Built: copy the .tsx sources next to the compiled loader (dist/admin/components), so that dist/ is complete.
const target = fileURLToPath(new URL('./components', import.meta.url));
const source = fileURLToPath(new URL('../../src/admin/components', import.meta.url));
if (source !== target && existsSync(source)) {
  rmSync(target, { recursive: true, force: true });
  cpSync(source, target, { recursive: true });
}

const started = Date.now();
const { ADMIN_BUNDLE_FILE } = await import('./admin-env.js');
const { default: AdminJS } = await import('adminjs');
const { componentLoader } = await import('./component-loader.js');

rmSync(ADMIN_BUNDLE_FILE, { force: true });
// Only the component loader (and options.env, unused) feeds the bundle's entry: no resources needed here.
await new AdminJS({ componentLoader, rootPath: '/admin' }).initialize();
if (!existsSync(ADMIN_BUNDLE_FILE)) throw new Error(`AdminJS did not write ${ADMIN_BUNDLE_FILE}`);
console.log(
  `Admin bundle: ${ADMIN_BUNDLE_FILE} (${statSync(ADMIN_BUNDLE_FILE).size} bytes, ${Date.now() - started} ms)`,
);
