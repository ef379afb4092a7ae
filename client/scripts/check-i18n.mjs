#!/usr/bin/env node
// Fails (exit 1) when a message key exists in one language and not in the other, and prints which.
// The dictionaries are TypeScript; their keys are read as text, one quoted key per line.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'lib', 'i18n');
const keysOf = (file) =>
  new Set([...readFileSync(join(dir, file), 'utf8').matchAll(/^\s*'([^']+)':/gm)].map((match) => match[1]));

const languages = { en: keysOf('en.ts'), fr: keysOf('fr.ts') };
let missing = 0;
for (const [lang, keys] of Object.entries(languages)) {
  for (const [otherLang, otherKeys] of Object.entries(languages)) {
    if (lang === otherLang) continue;
    for (const key of otherKeys) {
      if (!keys.has(key)) {
        console.error(`missing in ${lang}: ${key} (present in ${otherLang})`);
        missing += 1;
      }
    }
  }
}
if (missing) process.exit(1);
console.log(`i18n: ${languages.en.size} keys, same set in en and fr.`);
