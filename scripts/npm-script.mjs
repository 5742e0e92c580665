import { readFileSync } from 'node:fs';

/**
 * How a package.json script launches node, read out of `[guard; ][VAR=value ...] node [--flag ...] dist/...js`:
 * the variables it sets, the flags it gives, the script. The tests and the bench start the server and the worker
 * as `npm start` and `npm run start:worker` do, so that they run what users run.
 */
export function npmScriptLaunch(name) {
  const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const match = /(?:^|; |&& )((?:\w+=\S+ )*)node((?: --\S+)*) (dist\/\S+\.js)$/.exec(scripts[name] ?? '');
  if (!match) throw new Error(`package.json's ${name} script does not launch node dist/...js`);
  const words = (text) => text.split(' ').filter(Boolean);
  return {
    env: Object.fromEntries(words(match[1]).map((assignment) => assignment.split('='))),
    flags: words(match[2]),
    script: match[3],
  };
}
