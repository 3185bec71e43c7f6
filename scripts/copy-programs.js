// The programs the pods run are read at synth from beside the compiled library: jsii compiles
// the TypeScript only, so they are copied next to it.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
fs.cpSync(path.join(root, 'src', 'programs'), path.join(root, 'lib', 'src', 'programs'), { recursive: true });
