/**
 * The README's list of what is rejected ("What is rejected") names every prop the code checks by a
 * literal name (a new rule on a new prop must be listed), and gives each rule its error code: every
 * code is one of ValidationCode's, and every ValidationCode has its rules listed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ValidationCode } from '../src';

const root = path.join(__dirname, '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## What is rejected'), readme.indexOf('## Warnings'));
/** The first cells of the section's tables: the props, as listed. */
const listed = [
  ...[...section.matchAll(/^\| (.+?) \| .+ \| .+ \| .+ \| (construction|synth)[^|]* \|$/gm)].map(m => m[1]),
  // A table of checks several props share names them in its summary.
  ...[...section.matchAll(/<summary>(.+)<\/summary>/g)].map(m => m[1]),
];

/** Every prop a rule of src/ names literally: propError, the check helpers, and the policies' fail. */
function checkedProps(): Map<string, string> {
  const props = new Map<string, string>();
  const files = (fs.readdirSync(path.join(root, 'src'), { recursive: true }) as string[]).filter(f => f.endsWith('.ts'));
  for (const file of files) {
    const source = fs.readFileSync(path.join(root, 'src', file), 'utf8');
    for (const m of source.matchAll(/(?:propError|check[A-Z]\w*|fail)\(\s*(?:(?:this|scope|ingress), )?'([^']+)'/g)) {
      props.set(m[1], file);
    }
  }
  return props;
}

test('the README lists what is rejected, by construct', () => {
  expect(section).toContain('<b>PrefectPlatform</b>');
  // Every row of the tables is read.
  expect(listed.length).toBe([...section.matchAll(/^\| `/gm)].length + [...section.matchAll(/<summary>/g)].length);
});

test('every prop the code checks by name is in the README\'s list', () => {
  const props = checkedProps();
  expect(props.size).toBeGreaterThan(60);
  const missing = [...props].filter(([prop]) => !listed.some(cell => cell.includes(prop))).map(([prop, file]) => `${file}: ${prop}`);
  expect(missing).toEqual([]);
});

test('every rule has its codes, and every code its rules', () => {
  const rows = [...section.matchAll(/^\| `.+? \| ([A-Z_, ]+) \| .+ \| (construction|synth)[^|]* \|$/gm)].map(m => m[1].split(', '));
  expect(rows.length).toBe([...section.matchAll(/^\| `/gm)].length);
  const codes = Object.values(ValidationCode) as string[];
  expect(rows.flat().filter(code => !codes.includes(code))).toEqual([]);
  expect(codes.filter(code => !rows.some(row => row.includes(code)))).toEqual([]);
});
