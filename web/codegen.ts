// Typed GraphQL operations from Ripple's own schema: every query the console
// sends is checked against schema/*.graphqls at build time, and its result
// and variables get TypeScript types. Generated into src/gql (not committed:
// `npm run build` regenerates it first).
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../schema/*.graphqls',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    './src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        // Plain strings, not parsed ASTs: a smaller bundle, and fetch sends them as they are.
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: true,
        strictScalars: true,
        scalars: { Time: 'string', JSON: 'unknown', JSONValue: 'unknown' },
      },
    },
  },
};

export default config;
