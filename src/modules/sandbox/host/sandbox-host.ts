import { registerHooks } from 'node:module';

// Entry of a sandbox host process, forked by SandboxPool. Built code (dist/*.js) needs nothing special.
// Under Vitest the pool forks this file as TypeScript source, which Node 24 runs by type stripping; but
// source imports say `./x.js` (ESM nodenext), so a missing relative `.js` falls back to the `.ts` beside it.
// That is why this file has no static relative imports: the hook must be in place before they resolve.
registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      }
      throw err;
    }
  },
});

await import('./host-main.js');
