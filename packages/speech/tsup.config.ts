import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tools/tsup-library';

// The ensemble's worker-thread entry is built beside the index (dist/member-worker.js).
export default defineConfig({ ...libraryBuild(), entry: { index: 'src/index.ts', 'member-worker': 'src/member-worker.ts' } });
