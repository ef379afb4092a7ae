// The build a command runs must exist and be at least as new as its sources: a missing or stale build
// is refused with what to run, never built behind the operator's back nor served silently.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const serverDist = path.join(root, 'server', 'dist');

/**
 * What each build is made from (paths relative to the repository), and the file the build writes last
 * or rewrites every time (tsc rewrites every output; vite empties client/dist first).
 */
export const BUILDS = {
  server: {
    output: 'server/dist/main.js',
    sources: ['server/src', 'server/tsconfig.json', 'server/tsconfig.build.json', 'tsconfig.base.json'],
  },
  client: {
    output: 'client/dist/index.html',
    sources: [
      'client/src',
      'client/index.html',
      'client/public',
      'client/vite.config.ts',
      'client/svelte.config.mjs',
      'client/tsconfig.json',
      'schema.graphql',
      'tsconfig.base.json',
      // Vite bundles the client's dependencies: another lock file can mean another bundle.
      'package-lock.json',
    ],
  },
};

/** Specs and tests are not part of any build; dotfiles are editors' and systems' (swap files, .DS_Store). */
function isBuildInput(name) {
  return !name.startsWith('.') && !/\.(spec|test)\.[cm]?[jt]s$/.test(name);
}

/** The most recently modified build input under `entry` (a file or a folder), or null when there is none. */
function newestInput(entry) {
  const stat = fs.statSync(entry, { throwIfNoEntry: false });
  if (!stat) return null;
  if (!stat.isDirectory()) return { file: entry, mtimeMs: stat.mtimeMs };
  let newest = null;
  for (const dirent of fs.readdirSync(entry, { withFileTypes: true })) {
    if (!isBuildInput(dirent.name)) continue;
    const found = newestInput(path.join(entry, dirent.name));
    if (found && (!newest || found.mtimeMs > newest.mtimeMs)) newest = found;
  }
  return newest;
}

/**
 * Whether the named builds under `repository` can be run: null when they can, otherwise what is wrong.
 * A tree without the sources (the packed package, an image holding only the build) is never stale.
 * Deleting a source is caught through the files that imported it, which change with it.
 */
export function checkBuild(repository, parts = Object.keys(BUILDS)) {
  for (const part of parts) {
    const { output, sources } = BUILDS[part];
    const built = fs.statSync(path.join(repository, output), { throwIfNoEntry: false });
    if (!built) return { problem: 'missing', output };
    for (const source of sources) {
      const newest = newestInput(path.join(repository, source));
      if (newest && newest.mtimeMs > built.mtimeMs) {
        return { problem: 'stale', output, newer: path.relative(repository, newest.file) };
      }
    }
  }
  return null;
}

/** The sentence said for checkBuild's finding; `command` is what the operator ran. */
export function describeBuildProblem(finding, command) {
  const todo = `run npm run build, then ${command} again.`;
  if (finding.problem === 'missing') return `No build yet (${finding.output} is missing): ${todo}`;
  return `The build is older than its sources (${finding.newer} changed after ${finding.output} was built): ${todo}`;
}

/**
 * Exits with status 1 and one line on standard error (standard output may be a command's data) unless
 * the named builds are there and fresh.
 */
export function requireFreshBuild(command, parts) {
  const finding = checkBuild(root, parts);
  if (!finding) return;
  console.error(describeBuildProblem(finding, command));
  process.exit(1);
}
