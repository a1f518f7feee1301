// The module-boundary rule of STYLE.md B5, as an ESLint rule: `src/core` never imports `src/modules`; a module imports
// another only through its `index.ts`, and only along the allowed (acyclic) edges below. A new module must be added
// here before anything may import it, which is the point: the graph changes by review, not by accident.
import { dirname, relative, resolve, sep } from 'node:path';

/** Module → the modules it may import (through their index.ts). Core is always allowed. */
export const ALLOWED_EDGES = {
  tenancy: ['egress'],
  sandbox: [],
  health: [],
  egress: [],
  audit: [],
  identity: ['tenancy', 'egress'],
  authorization: ['identity', 'tenancy'],
  secrets: ['authorization', 'tenancy', 'egress'],
  connections: ['secrets', 'authorization', 'tenancy', 'egress'],
  plugins: ['sandbox', 'authorization', 'tenancy'],
  flows: ['connections', 'plugins', 'authorization', 'tenancy'],
  execution: ['flows', 'connections', 'secrets', 'sandbox', 'plugins', 'tenancy', 'egress'],
  webhooks: ['execution', 'flows', 'authorization', 'tenancy'],
  embed: ['identity', 'authorization', 'tenancy'],
};

const root = resolve(import.meta.dirname, '..');
const srcDir = resolve(root, 'src');
const modulesDir = resolve(srcDir, 'modules');

/** `{ area: 'core' | 'module' | 'other', module?, rest? }` for an absolute path. */
function locate(path) {
  const fromModules = relative(modulesDir, path);
  if (!fromModules.startsWith('..')) {
    const [module, ...rest] = fromModules.split(sep);
    return { area: 'module', module, rest: rest.join('/') };
  }
  const fromSrc = relative(srcDir, path);
  if (!fromSrc.startsWith('..') && fromSrc.split(sep)[0] === 'core') return { area: 'core' };
  return { area: 'other' };
}

function problem(from, to) {
  if (from.area === 'core' && to.area === 'module') return `core must not import a module (${to.module})`;
  if (from.area !== 'module' || to.area !== 'module' || from.module === to.module) return null;
  const allowed = ALLOWED_EDGES[from.module];
  if (!allowed) return `module "${from.module}" is not in the boundary table (scripts/eslint-module-boundaries.js)`;
  if (!allowed.includes(to.module)) return `module "${from.module}" may not import "${to.module}" (STYLE.md B5)`;
  if (to.rest !== 'index.js' && to.rest !== 'index.ts') {
    return `import "${to.module}" only through its index.ts, not ${to.module}/${to.rest}`;
  }
  return null;
}

/** @type {import('eslint').Rule.RuleModule} */
export const moduleBoundaries = {
  meta: { type: 'problem', docs: { description: 'Module boundaries of STYLE.md B5' }, schema: [] },
  create(context) {
    const from = locate(context.filename);
    if (from.area === 'other') return {};
    const check = (node) => {
      const spec = node.source?.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const message = problem(from, locate(resolve(dirname(context.filename), spec)));
      if (message) context.report({ node: node.source, message });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};
