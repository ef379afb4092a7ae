#!/usr/bin/env node
// Fails (exit 1) when a page can show a message whose part it does not load.
//
// The messages are split in parts (src/lib/i18n/<lang>.ts for every page, <lang>-<part>.ts for some
// pages only), so that a reader downloads only what the page in front of them needs. App.svelte says
// which parts each page loads (`lazyPage(() => import('./routes/…'), 'part', …)`). This script follows the
// source imports from each page (static and lazy) and from the shell, collects the message keys their
// files name (any quoted key of a dictionary, and `prefix.${…}` templates), and checks that each key is
// in the core part or in a part the page loads. A key only the shell's own code names must be in core.
// With --suggest it prints, for each core key, the pages that use it (to decide what may move).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const i18nDir = join(srcDir, 'lib', 'i18n');

/** Each part's keys, read from its English file (check-i18n.mjs checks the other languages match). */
const partOfKey = new Map();
for (const file of readdirSync(i18nDir)) {
  const match = /^en(?:-([a-z]+))?\.ts$/.exec(file);
  if (!match) continue;
  const part = match[1] ?? 'core';
  for (const [, key] of readFileSync(join(i18nDir, file), 'utf8').matchAll(/^\s*'([^']+)':/gm)) {
    partOfKey.set(key, part);
  }
}
const keys = [...partOfKey.keys()];

/** A relative import resolved to a source file, or null (a package, a CSS file). */
function resolveImport(fromFile, specifier) {
  if (!specifier.startsWith('.')) return null;
  const base = resolve(dirname(fromFile), specifier);
  for (const candidate of [
    base,
    `${base}.ts`,
    `${base}.svelte`,
    `${base}.svelte.ts`,
    join(base, 'index.ts'),
  ]) {
    if (existsSync(candidate) && /\.(ts|svelte)$/.test(candidate)) return candidate;
  }
  return null;
}

const sources = new Map();
function read(file) {
  if (!sources.has(file)) sources.set(file, readFileSync(file, 'utf8'));
  return sources.get(file);
}

/** The files a file imports: `static` (import … from, import '…') and `lazy` (import('…')). */
function importsOf(file) {
  const text = read(file);
  const found = { static: [], lazy: [] };
  for (const [, specifier] of text.matchAll(/(?:^|[\s;])import\s+(?:[^'"`;]*?\sfrom\s+)?['"]([^'"]+)['"]/g)) {
    const target = resolveImport(file, specifier);
    if (target) found.static.push(target);
  }
  for (const [, specifier] of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const target = resolveImport(file, specifier);
    if (target) found.lazy.push(target);
  }
  return found;
}

const isDictionary = (file) => file.startsWith(i18nDir + '/') && !file.endsWith('index.svelte.ts');

/** Every file reachable from `start`; lazy imports are followed unless `stopAtLazy` says otherwise. */
function closure(start, followLazy) {
  const seen = new Set();
  const queue = [start];
  while (queue.length) {
    const file = queue.pop();
    if (seen.has(file) || isDictionary(file)) continue;
    seen.add(file);
    const imports = importsOf(file);
    queue.push(...imports.static);
    if (followLazy(file)) queue.push(...imports.lazy);
  }
  return seen;
}

/** The keys a file names: quoted keys of a dictionary, and the keys a `prefix.${…}` template can make. */
function keysNamedBy(file) {
  const text = read(file);
  const named = new Set();
  for (const [, literal] of text.matchAll(/'([A-Za-z][\w.]*)'/g))
    if (partOfKey.has(literal)) named.add(literal);
  for (const [, literal] of text.matchAll(/"([A-Za-z][\w.]*)"/g))
    if (partOfKey.has(literal)) named.add(literal);
  for (const [, literal] of text.matchAll(/`([A-Za-z][\w.]*)`/g))
    if (partOfKey.has(literal)) named.add(literal);
  for (const [, prefix] of text.matchAll(/`([A-Za-z][\w.]*\.)\$\{/g)) {
    for (const key of keys) if (key.startsWith(prefix)) named.add(key);
  }
  return named;
}

// The pages and the parts each loads, as App.svelte declares them.
const appFile = join(srcDir, 'App.svelte');
const pages = [
  ...read(appFile).matchAll(
    /(\w+): lazyPage\(\s*\(\) => import\('([^']+)'\)(?:\s+as [^,)]+)?((?:,\s*'[a-z]+')*)\s*,?\s*\)/g,
  ),
].map(([, name, specifier, partList]) => ({
  name,
  file: resolveImport(appFile, specifier),
  parts: ['core', ...[...partList.matchAll(/'([a-z]+)'/g)].map((m) => m[1])],
}));
if (pages.length === 0) {
  console.error('check-message-parts: no `name: lazyPage(() => import(…), …)` entries found in App.svelte.');
  process.exit(1);
}
const pageFiles = new Set(pages.map((page) => page.file));

// The shell: main.ts and what it imports statically, plus what it loads lazily that is not a page
// (the shortcuts dialog, the live socket): those may open on any page, so they use core messages only.
const mainFile = join(srcDir, 'main.ts');
const shell = closure(mainFile, (file) => !pageFiles.has(file) && file !== appFile);
for (const file of importsOf(appFile).lazy) {
  if (!pageFiles.has(file)) for (const reached of closure(file, () => true)) shell.add(reached);
}

const usedBy = new Map(); // key -> Set of page names ('shell' for the shell)
// t(key, { count }) may show key_one instead: it goes where its key goes.
const use = (key, who) => {
  for (const shown of [key, `${key}_one`]) {
    if (partOfKey.has(shown)) usedBy.set(shown, (usedBy.get(shown) ?? new Set()).add(who));
  }
};

let problems = 0;
for (const file of shell) {
  for (const key of keysNamedBy(file)) {
    for (const shown of [key, `${key}_one`].filter((k) => partOfKey.has(k))) {
      use(shown, 'shell');
      if (partOfKey.get(shown) !== 'core') {
        console.error(
          `${relative(srcDir, file)} (the shell) names ${shown}, which is in part "${partOfKey.get(shown)}": move it to core`,
        );
        problems += 1;
      }
    }
  }
}
for (const page of pages) {
  for (const file of closure(page.file, () => true)) {
    if (shell.has(file)) continue;
    for (const key of keysNamedBy(file)) {
      for (const shown of [key, `${key}_one`].filter((k) => partOfKey.has(k))) {
        use(shown, page.name);
        if (!page.parts.includes(partOfKey.get(shown))) {
          console.error(
            `${relative(srcDir, file)} (page ${page.name}, parts ${page.parts.join('+')}) names ${shown}, in part "${partOfKey.get(shown)}"`,
          );
          problems += 1;
        }
      }
    }
  }
}

if (process.argv.includes('--suggest')) {
  for (const key of keys) {
    console.log(
      `${partOfKey.get(key).padEnd(8)} ${key}: ${[...(usedBy.get(key) ?? ['(nobody)'])].join(' ')}`,
    );
  }
}
if (problems) process.exit(1);
console.log(`message parts: ${pages.length} pages, ${keys.length} keys, each page loads the parts it names.`);
