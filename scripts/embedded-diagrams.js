// The topology diagrams embedded in the docs: a block
//   <!-- topology:<variant> -->
//   ```mermaid
//   ...
//   ```
//   <!-- /topology:<variant> -->
// holds the diagram of that variant, as TopologyDiagram draws it.
'use strict';

const BLOCK = /(<!-- topology:([a-z0-9-]+) -->\n)[\s\S]*?(<!-- \/topology:\2 -->)/g;

/** The Markdown files that embed diagrams, relative to the repository. */
const FILES = ['README.md', 'docs/variants.md'];

/** `text` with every block's diagram replaced by the one in `diagrams` (variant → Mermaid). */
function embed(text, diagrams) {
  return text.replace(BLOCK, (_, open, variant, close) => {
    const diagram = diagrams.get(variant);
    if (diagram === undefined) throw new Error(`a diagram block names the variant ${variant}, which the example app does not have`);
    return `${open}\`\`\`mermaid\n${diagram}\`\`\`\n${close}`;
  });
}

/** The variants whose diagrams `text` embeds. */
function embedded(text) {
  return [...text.matchAll(BLOCK)].map(m => m[2]);
}

module.exports = { FILES, embed, embedded };
