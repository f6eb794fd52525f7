// The package's name and version, inlined by the build (esbuild copies the two fields it reads): a
// service bundled with esbuild, ncc or webpack has no ../package.json beside the engine's code to read
// at run time (it failed to start with "Cannot find module '../package.json'").
import { name, version } from '../package.json';

export const ENGINE_VERSION: string = version;
export const ENGINE_NAME: string = name;
