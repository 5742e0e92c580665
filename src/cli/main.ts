import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.js';
import { passwordProblem, usernameProblem } from '../users/user.rules.js';
import { parseSetTier, SET_TIER_USAGE, UsageError } from './set-tier.command.js';

const USAGE = `Usage:
  npm run cli -- create-user <username> --password <password> [--tier <tier name>] [--admin | --no-admin]

Creates the user, or updates the password (and tier and admin flag, when given) of an existing one.
Tokens already issued to an existing user stay valid.

${SET_TIER_USAGE}

  npm run cli -- placeholders

Gives every image stored before placeholders existed its ThumbHash placeholder (one small decode each).`;

export type Command =
  | { name: 'create-user'; input: ReturnType<typeof parseCreateUser> }
  | { name: 'set-tier'; plan: ReturnType<typeof parseSetTier> }
  | { name: 'placeholders' };

function parse(argv: string[]): Command | undefined {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) return undefined;
  if (argv[0] === 'set-tier') return { name: 'set-tier', plan: parseSetTier(argv.slice(1)) };
  if (argv[0] === 'placeholders') {
    if (argv.length > 1) throw new UsageError('placeholders takes no arguments');
    return { name: 'placeholders' };
  }
  return { name: 'create-user', input: parseCreateUser(argv) };
}

function parseCreateUser(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      password: { type: 'string' },
      tier: { type: 'string' },
      admin: { type: 'boolean' },
      'no-admin': { type: 'boolean' },
    },
  });
  const [command, username, ...extra] = positionals;
  if (command !== 'create-user') throw new UsageError(`Unknown command "${command ?? ''}"`);
  if (!username || extra.length > 0) throw new UsageError('create-user takes exactly one username');
  const usernameIssue = usernameProblem(username);
  if (usernameIssue) throw new UsageError(`The username must be ${usernameIssue}`);
  const passwordIssue = passwordProblem(values.password ?? '');
  if (passwordIssue) throw new UsageError(`--password must be ${passwordIssue}`);
  if (values.admin && values['no-admin']) throw new UsageError('--admin and --no-admin exclude each other');
  const isAdmin = values.admin ? true : values['no-admin'] ? false : undefined;
  return { username, password: values.password!, tier: values.tier, isAdmin };
}

async function main(): Promise<number> {
  let input;
  try {
    input = parse(process.argv.slice(2));
  } catch (error) {
    // One line: what to fix (parseArgs' own errors, such as an unknown option, included).
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
    console.error(`${message} (see npm run cli -- --help)`);
    return 2;
  }
  if (!input) {
    console.log(USAGE);
    return 0;
  }
  const configured = loadConfig();
  // The database first, Nest after: the embedded PostgreSQL (when DATABASE_URL is unset) starts in its own process
  // while this one loads Nest, TypeORM and the rest (only for good arguments), instead of one after the other.
  const { resolveDatabase } = await import('../database/resolve-database.js');
  const database = resolveDatabase(configured);
  database.catch(() => undefined); // awaited (and its error reported) by run(), or closed below
  let run;
  try {
    ({ run } = await import('./run.js'));
  } catch (error) {
    await database.then((started) => started.close()).catch(() => undefined);
    throw error;
  }
  console.log(await run(configured, input, database));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message =
      error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
    console.error(message);
    process.exit(1);
  },
);
