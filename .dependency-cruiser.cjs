/**
 * The direction of imports, enforced by `npm run lint` (dependency-cruiser). Folders of src/, from the top
 * down: a folder may import the folders BELOW it, never one above it nor one on its own line. The README's
 * "Project layout" section draws the same graph.
 */
const LAYERS = [
  ['main.ts', 'worker', 'cli'], // entry points
  ['server'], // the server process: one process, or a cluster primary and its workers
  ['app.factory.ts'],
  ['app.module.ts', 'docs'],
  ['database'], // data source (lists every entity), migrations, seed, embedded PostgreSQL
  ['admin'],
  ['serving', 'health'],
  ['expiring-links'],
  ['images'],
  ['upload-edge'], // the upload's body: limits, the early 413, the spooled temp file and its removal
  ['auth'],
  ['users'],
  ['usage'], // what each user uses (stored bytes, uploads per day), checked against the tier's limits
  ['links'],
  ['tiers'],
  ['media', 'storage', 'jobs', 'notifications'],
  ['observability'],
  ['config'],
  ['common'],
];

const folder = (name) => (name.endsWith('.ts') ? `^src/${name.replace(/\./g, '\\.')}$` : `^src/${name}/`);
const anyOf = (names) => names.map(folder).join('|');

const layerRules = LAYERS.flatMap((layer, index) => {
  const above = LAYERS.slice(0, index).flat();
  return layer.flatMap((name) => {
    const siblings = layer.filter((other) => other !== name);
    const forbidden = [...above, ...siblings];
    if (forbidden.length === 0) return [];
    return [
      {
        name: `layers: ${name}`,
        comment: `src/${name} may only import folders below it: ${LAYERS.slice(index + 1).flat().join(', ')}`,
        severity: 'error',
        from: { path: folder(name) },
        to: { path: anyOf(forbidden) },
      },
    ];
  });
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'No import cycles, inside a folder or across folders.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'sharp-only-in-media',
      comment: 'src/media/image-processor.ts is the one file that talks to sharp.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/media/' },
      to: { path: 'node_modules/sharp/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
