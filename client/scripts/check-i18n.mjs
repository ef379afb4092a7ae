#!/usr/bin/env node
// Fails (exit 1) when a message key exists in one language and not in the other, and prints which.
// The dictionaries are TypeScript; their keys are read as text, one quoted key per line.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'lib', 'i18n');
const keysOf = (file) =>
  new Set([...readFileSync(join(dir, file), 'utf8').matchAll(/^\s*'([^']+)':/gm)].map((match) => match[1]));

// Each part of the messages (the core, and those loaded with some pages: en-admin.ts, en-work.ts…) has
// one file per language, with the same keys.
const parts = readdirSync(dir)
  .map((file) => /^en(-[a-z]+)?\.ts$/.exec(file))
  .filter(Boolean)
  .map(([file, suffix = '']) => ({ en: file, fr: `fr${suffix}.ts` }));
let missing = 0;
let total = 0;
const seen = new Map();
for (const files of parts) {
  const languages = Object.fromEntries(Object.entries(files).map(([lang, file]) => [lang, keysOf(file)]));
  for (const [lang, keys] of Object.entries(languages)) {
    for (const [otherLang, otherKeys] of Object.entries(languages)) {
      if (lang === otherLang) continue;
      for (const key of otherKeys) {
        if (!keys.has(key)) {
          console.error(`missing in ${files[lang]}: ${key} (present in ${files[otherLang]})`);
          missing += 1;
        }
      }
    }
  }
  for (const key of languages.en) {
    if (seen.has(key)) {
      console.error(`${key} is in both ${seen.get(key)} and ${files.en}: keep it in one part`);
      missing += 1;
    }
    seen.set(key, files.en);
  }
  total += languages.en.size;
}
if (missing) process.exit(1);
console.log(`i18n: ${total} keys, same set in en and fr.`);
