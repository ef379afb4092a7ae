#!/usr/bin/env node
// Sums the gzip size of the JavaScript that index.html loads on the first visit (the entry and its
// static imports, read from Vite's manifest) and fails when it is over the budget.
// A shared link can open any page first, so the shell is counted with the heaviest page, all the parts it
// may load lazily and the largest language (admin-only heavy
// routes, the playground and the stats charts, are meant to load on their own and are left out).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 70 * 1024;
const distDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const manifestPath = join(distDir, '.vite', 'manifest.json');

let manifest;
try {
  manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
} catch {
  console.error(
    `report-size: cannot read ${manifestPath}; run "vite build --config client/vite.config.ts" first.`,
  );
  process.exit(1);
}

const entryKey = Object.keys(manifest).find((key) => manifest[key].isEntry && key.endsWith('index.html'));
if (!entryKey) {
  console.error('report-size: no index.html entry in the manifest.');
  process.exit(1);
}

const gzipSizes = new Map();
function gzipSize(file) {
  if (!gzipSizes.has(file))
    gzipSizes.set(file, gzipSync(readFileSync(join(distDir, file)), { level: 9 }).length);
  return gzipSizes.get(file);
}

/** The JS files a chunk needs at once: itself and its static imports, transitively. */
function staticClosure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const imported of manifest[key].imports ?? []) staticClosure(imported, seen);
  return seen;
}
/**
 * The JS files a page may load once shown: its static imports and the parts it imports lazily (a comment
 * box, a sidebar, a role's home, an editor), transitively. Counting them all is the worst case (staff on
 * an open ticket who opens the editor), so a page cannot get under the budget by splitting itself up.
 */
function pageClosure(key, shell, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  // The shell's own lazy imports are the other pages and the languages, counted on their own.
  const lazy = shell.has(key) ? [] : (manifest[key].dynamicImports ?? []);
  for (const imported of [...(manifest[key].imports ?? []), ...lazy]) pageClosure(imported, shell, seen);
  return seen;
}
const jsFiles = (keys) => [...keys].map((key) => manifest[key].file).filter((file) => file.endsWith('.js'));
const total = (files) => files.reduce((sum, file) => sum + gzipSize(file), 0);
const kB = (bytes) => `${(bytes / 1024).toFixed(2).padStart(8)} kB`;

const shell = staticClosure(entryKey);
for (const file of jsFiles(shell)) console.log(`${kB(gzipSize(file))}  ${file}`);
console.log(`${kB(total(jsFiles(shell)))}  app shell (entry and its static imports)`);

// A shared link can open any page first: the budget applies to the shell plus the heaviest page, except
// the admin-only heavy routes (playground, stats charts) that are meant to load on their own.
const heavyRoutes = /playground|Stats|charts/i;
// Every reader fetches their language's core messages before the first render (src/lib/i18n/<lang>.ts,
// a chunk per language): the largest is counted with every page. A page also fetches the parts of the
// messages App.svelte's page table names for it (src/lib/i18n/<lang>-<part>.ts): the largest language
// of each is counted with that page.
/** The largest chunk of messages whose path matches `pattern` (one per language), not in the shell. */
function largestLanguage(pattern) {
  return Object.keys(manifest)
    .filter((key) => pattern.test(key) && !shell.has(key))
    .reduce(
      (largest, key) => {
        const bytes = total(jsFiles(staticClosure(key)));
        return bytes > largest.bytes ? { name: key, bytes } : largest;
      },
      { name: '', bytes: 0 },
    );
}
const language = largestLanguage(/\/i18n\/[a-z]{2}\.ts$/);
const isMessages = (key) => /\/i18n\/[a-z]{2}(-[a-z]+)?\.ts$/.test(key);
if (language.name) console.log(`${kB(language.bytes)}  largest language: ${language.name}`);

// The parts each page loads, as App.svelte declares them: `name: lazyPage(() => import('./routes/…'), 'part')`.
const appSource = readFileSync(join(distDir, '..', 'src', 'App.svelte'), 'utf8');
const partsOfPage = new Map(
  [...appSource.matchAll(/lazyPage\(\s*\(\) => import\('\.\/([^']+)'\)((?:,\s*'[a-z]+')*)/g)].map(
    ([, path, list]) => [`src/${path}`, [...list.matchAll(/'([a-z]+)'/g)].map((match) => match[1])],
  ),
);
if (partsOfPage.size === 0) {
  console.error('report-size: no `lazyPage(() => import(…), …)` entries found in src/App.svelte.');
  process.exit(1);
}
const partSizes = new Map();
for (const part of new Set([...partsOfPage.values()].flat())) {
  const largest = largestLanguage(new RegExp(`/i18n/[a-z]{2}-${part}\\.ts$`));
  partSizes.set(part, largest.bytes);
  console.log(`${kB(largest.bytes)}  and for pages with the "${part}" messages: ${largest.name}`);
}

let worst = { name: '(none)', bytes: total(jsFiles(shell)) + language.bytes };
// The shell's lazy imports that are neither pages nor messages: loaded by pages once shown (the live
// socket, fetched when a page first subscribes, in parallel with its data) or on a key press (the
// shortcuts dialog). None is needed to show a page; they are printed apart, with the total they make.
const afterRender = [];
for (const route of manifest[entryKey].dynamicImports ?? []) {
  if (isMessages(route)) continue;
  if (!partsOfPage.has(route)) {
    afterRender.push(route);
    continue;
  }
  if (heavyRoutes.test(route)) continue;
  const files = jsFiles(new Set([...shell, ...pageClosure(route, shell)]));
  const parts = partsOfPage.get(route).reduce((sum, part) => sum + partSizes.get(part), 0);
  const bytes = total(files) + language.bytes + parts;
  if (bytes > worst.bytes) worst = { name: route, bytes };
}
for (const route of afterRender) {
  const bytes = total(jsFiles(pageClosure(route, shell)).filter((file) => !jsFiles(shell).includes(file)));
  console.log(
    `${kB(bytes)}  after the first render: ${route} (${kB(worst.bytes + bytes).trim()} with the heaviest page)`,
  );
}
const verdict = worst.bytes <= BUDGET_BYTES ? 'OK' : 'OVER BUDGET';
console.log(
  `${kB(worst.bytes)}  first page load JS (gzip), heaviest page ${worst.name}${language.name ? ' with the largest language' : ''}, budget ${BUDGET_BYTES / 1024} kB: ${verdict}`,
);
process.exit(worst.bytes <= BUDGET_BYTES ? 0 : 1);
