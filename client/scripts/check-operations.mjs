// Validates every GraphQL document of the client against the server's schema.graphql, so an API change
// that breaks an operation fails the build (gql.tada types only catch fields the code goes on to read).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, buildSchema, parse, validate, visit } from 'graphql';

const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schema = buildSchema(readFileSync(path.join(clientDir, '..', 'schema.graphql'), 'utf8'));

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|svelte)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

const documents = [];
for (const file of sourceFiles(path.join(clientDir, 'src'))) {
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/graphql\(\s*`([^`]*)`/g)) {
    documents.push({ file: path.relative(clientDir, file), definitions: parse(match[1]).definitions });
  }
}

const fragments = new Map();
for (const { definitions } of documents) {
  for (const definition of definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
}

/** An operation with every fragment it spreads, directly or through other fragments. */
function withFragments(definition) {
  const needed = new Map();
  const collect = (node) =>
    visit(node, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        if (!needed.has(name) && fragments.has(name)) {
          needed.set(name, fragments.get(name));
          collect(fragments.get(name));
        }
      },
    });
  collect(definition);
  return { kind: Kind.DOCUMENT, definitions: [definition, ...needed.values()] };
}

let failures = 0;
let operations = 0;
for (const { file, definitions } of documents) {
  for (const definition of definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    operations += 1;
    for (const error of validate(schema, withFragments(definition))) {
      failures += 1;
      console.error(`${file}: ${definition.name?.value ?? 'anonymous operation'}: ${error.message}`);
    }
  }
}

if (failures > 0) {
  console.error(`${failures} problem(s) in the client's GraphQL operations against schema.graphql.`);
  process.exit(1);
}
console.log(`${operations} client operations and ${fragments.size} fragments match schema.graphql.`);
