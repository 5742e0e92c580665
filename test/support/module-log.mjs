// `node --import ./test/support/module-log.mjs app.js`: appends every module URL the process resolves through
// the ESM loader (its own files and the packages it imports) to the file named by MODULE_LOG.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.MODULE_LOG, resolved.url + '\\n');
  return resolved;
}`),
);
