// Lint rules of the library: import order, the direction of dependencies between the areas of
// src/ (docs/architecture.md), no import cycles, the size limits of files and functions, and the one
// place each of Prefect settings and RBAC bindings is written.
import importPlugin from 'eslint-plugin-import';
import tseslint from 'typescript-eslint';

/** An area may import the areas listed for it, and nothing above it. */
const below = {
  core: [],
  server: ['core'],
  dask: ['core'],
  workers: ['core', 'server', 'dask'],
  network: ['core', 'server', 'workers', 'dask'],
  platform: ['core', 'server', 'workers', 'dask', 'network'],
  diagram: ['core'],
};
const areas = Object.keys(below);
const zones = areas.flatMap(area => areas
  .filter(other => other !== area && !below[area].includes(other))
  .map(other => ({ target: `./src/${area}`, from: `./src/${other}`, message: `${area}/ may not depend on ${other}/ (docs/architecture.md)` })));

const settingsOnlyFromTheTable = [
  'Literal[value=/^PREFECT_[A-Z0-9_]*$/]', 'TemplateElement[value.raw=/^PREFECT_[A-Z0-9_]*$/]', 'Property > Identifier.key[name=/^PREFECT_[A-Z0-9_]*$/]',
].map(selector => ({ selector, message: 'Prefect settings come from SETTINGS in core/private/prefect-settings.ts, under the name their release reads' }));

const bindingsOnlyFromTheHelper = [
  'NewExpression[callee.property.name=/^Kube(Cluster)?RoleBinding$/]', 'Property > Identifier.key[name="roleRef"]',
].map(selector => ({ selector, message: 'RoleBindings come from bindRole in core/private/rbac.ts, which reads the names of the role and accounts it is given' }));

export default tseslint.config(
  { ignores: ['lib/**', 'dist/**', 'dist-jsii/**', 'imports/**', 'node_modules/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js'] } }, 'import/extensions': ['.ts'] },
    rules: {
      'import/order': ['error', {
        'groups': ['builtin', 'external', 'parent', 'sibling', 'index'],
        'newlines-between': 'never',
        'alphabetize': { order: 'asc', caseInsensitive: true },
      }],
      'import/no-duplicates': 'error',
      'import/first': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'import/no-cycle': 'error',
      'import/no-restricted-paths': ['error', { zones }],
      'max-lines': ['error', { max: 400 }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
      'no-restricted-syntax': ['error', ...settingsOnlyFromTheTable, ...bindingsOnlyFromTheHelper],
    },
  },
  { files: ['src/core/private/prefect-settings.ts'], rules: { 'no-restricted-syntax': ['error', ...bindingsOnlyFromTheHelper] } },
  { files: ['src/core/private/rbac.ts'], rules: { 'no-restricted-syntax': ['error', ...settingsOnlyFromTheTable] } },
);
