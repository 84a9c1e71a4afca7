// Records the absolute path of the Node.js binary that built the project, so that
// bin/pillion can start even with an empty environment (no PATH), as daprd launchers do.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
writeFileSync(join(root, 'dist', 'node-path'), process.execPath + '\n');
