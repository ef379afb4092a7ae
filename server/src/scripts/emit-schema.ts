import 'reflect-metadata';
import fs from 'node:fs';
import { printApiSchema, schemaFile } from '../schema';

/** Writes schema.graphql at the top of the repository from the code (`npm run schema`; the build never writes it, so the test that compares it with the code can fail). */
printApiSchema().then(
  (printed) => {
    fs.writeFileSync(schemaFile, printed);
    console.log(`schema.graphql written (${printed.length} bytes)`);
  },
  (error: unknown) => {
    console.error('schema.graphql could not be written:', error);
    process.exitCode = 1;
  },
);
