/**
 * The rooms of the plugin (see README, "Inside the plugin"), enforced:
 * imports only run downwards. Tests are exempt: they wire real pieces
 * together across rooms on purpose.
 */
const up = (rooms, message) => ({
  group: rooms.flatMap(room => [`**/${room}`, `**/${room}/**`]),
  message,
});

const layer = (files, patterns) => ({
  files,
  excludedFiles: ['**/*.test.ts', '**/testing/**', '**/__testUtils__/**'],
  rules: {
    '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
  },
});

module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  overrides: [
    // A file past 450 lines is asking to be split (tests and generated code aside).
    {
      files: ['src/**/*.ts'],
      excludedFiles: ['**/*.test.ts', 'src/schema/openapi/generated/**'],
      rules: { 'max-lines': ['error', { max: 450 }] },
    },
    layer(
      ['src/domain/**/*.ts'],
      [
        // Anything outside domain/, any scoped package but delivery-common,
        // any other package but luxon: types only.
        ...[
          ['../*', '../**'],
          ['@*/*', '!@backstage-delivery/plugin-delivery-common'],
          ['/[a-z]*', '!/luxon'],
        ].map(group => ({
          group,
          allowTypeImports: true,
          message:
            'domain/ holds pure rules: import only types, delivery-common, luxon and other domain/ modules',
        })),
      ],
    ),
    layer(
      [
        'src/kubernetes/**/*.ts',
        'src/catalog/**/*.ts',
        'src/scm/**/*.ts',
        'src/prometheus/**/*.ts',
      ],
      [
        up(
          ['service', 'database'],
          'kubernetes/, catalog/, scm/ and prometheus/ are ports: they must not import services or stores; depend on an interface instead',
        ),
      ],
    ),
    layer(
      ['src/database/**/*.ts'],
      [
        up(
          ['service', 'kubernetes', 'catalog', 'scm', 'prometheus'],
          'database/ holds stores: it must not import services, the cluster or the catalog',
        ),
      ],
    ),
    layer(
      ['src/supplyChain/**/*.ts'],
      [
        up(
          ['service', 'database', 'kubernetes', 'catalog', 'scm', 'prometheus'],
          'supplyChain/ verifies bundles with Sigstore: it must not import services, stores or ports',
        ),
      ],
    ),
    layer(
      ['src/config/**/*.ts'],
      [
        up(
          ['service', 'database', 'kubernetes', 'catalog', 'scm', 'prometheus'],
          'config/ reads configuration: it must not import services, stores or ports',
        ),
      ],
    ),
  ],
});
