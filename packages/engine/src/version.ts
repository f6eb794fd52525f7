import { createRequire } from 'node:module';

// src/version.ts and the built dist/index.* both sit one level below the package root.
const pkg = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

export const ENGINE_VERSION: string = pkg.version;
export const ENGINE_NAME: string = pkg.name;
