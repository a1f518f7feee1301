/** Public API of the flows module: definition types, the node-type registry, validation and upgrades. */
export * from './definition/index.js';
