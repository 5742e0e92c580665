// The npm registry reachable here lacks some platform builds that rollup, unrs-resolver and msgpackr-extract (bullmq)
// list as optional dependencies, so `npm install` leaves them out of package-lock.json and `npm ci` then refuses the lock as
// out of sync. This adds a lock entry for each listed-but-absent platform package, marked optional with its
// os/cpu/libc, so `npm ci` sees a complete lock and skips them on this platform as it would anyway.
// Run after any `npm install` that changes the lock: node scripts/complete-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const families = [
  /^@rollup\/rollup-(.+)$/,
  /^@unrs\/resolver-binding-(.+)$/,
  /^@msgpackr-extract\/msgpackr-extract-(.+)$/,
];
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const platform = families.map((re) => re.exec(name)?.[1]).find(Boolean);
    if (!platform) continue;
    const where = `${path ? `${path}/` : ''}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (lock.packages[where] || lock.packages[hoisted]) continue;
    const [os, cpu] = platform.split('-');
    const extra = platform === 'wasm32-wasi' ? { cpu: ['wasm32'] } : { os: [os], cpu: [cpu] };
    const libc = /musl/.test(platform) ? ['musl'] : /gnu/.test(platform) ? ['glibc'] : undefined;
    lock.packages[hoisted] = { version, ...extra, ...(libc ? { libc } : {}), optional: true };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} optional platform entries`);
