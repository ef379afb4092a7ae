#!/usr/bin/env node
// Fails (exit 1) when the server can refuse an input with a rule the web client has no message for, in
// English or in French. The client shows `invalid.<field>.<rule>`, else `invalid.<rule>` (errors.ts), so
// every rule needs `invalid.<rule>` in both dictionaries; a field's own message is a refinement.
// Rules are read from the server's source: the InputRule type and the class-validator mapping in
// server/src/errors.ts, and every rule a service, an input class or a plain HTTP route writes.
// `--list` prints each (field, rule) pair found and the message key that answers it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const serverDir = join(root, 'server', 'src');
const i18nDir = join(root, 'client', 'src', 'lib', 'i18n');

const keysOf = (file) =>
  new Set([...readFileSync(join(i18nDir, file), 'utf8').matchAll(/^\s*'([^']+)':/gm)].map((m) => m[1]));
const dictionaries = { en: keysOf('en.ts'), fr: keysOf('fr.ts') };

const errorsSource = readFileSync(join(serverDir, 'errors.ts'), 'utf8');
const union = /export type InputRule =([\s\S]*?);/.exec(errorsSource);
if (!union) {
  console.error('check-invalid-messages: InputRule not found in server/src/errors.ts');
  process.exit(1);
}
// The union's members, its comments left out.
const declaredRules = new Set(
  [...union[1].replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '').matchAll(/'(\w+)'/g)].map((m) => m[1]),
);
const constraintBlock = /const constraintRules[^{]*\{([\s\S]*?)\};/.exec(errorsSource)?.[1] ?? '';
/** class-validator constraint name → rule, as invalidFieldsOf maps them (unknown ones become 'invalid'). */
const constraintRules = new Map([...constraintBlock.matchAll(/(\w+):\s*'(\w+)'/g)].map((m) => [m[1], m[2]]));

// Decorators of the input classes and the constraint each one reports.
const decoratorConstraints = {
  Length: 'isLength',
  MaxLength: 'maxLength',
  MinLength: 'minLength',
  IsNotEmpty: 'isNotEmpty',
  IsDefined: 'isDefined',
  Matches: 'matches',
  IsEmail: 'isEmail',
  Min: 'min',
  Max: 'max',
  IsInt: 'isInt',
  NotBlank: 'notBlank',
  VisibleLength: 'visibleLength',
  WellFormed: 'wellFormed',
  PasswordBytes: 'passwordBytes',
};

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Each place the server names a rule: { field ('*' when computed), rule, where }. */
const found = [];
const add = (field, rule, file) => found.push({ field, rule, where: relative(root, file) });
const literal = (expr) => /^'(\w+)'$/.exec(expr.trim())?.[1] ?? '*';

/** Helpers that refuse a field they are given (parseId(field, raw)): name → rules, default field. */
const helpers = new Map();
const carried = new Set();
const carriedBy = new Set();
const files = sourceFiles(serverDir).map((file) => ({ file, text: readFileSync(file, 'utf8') }));

for (const { file, text } of files) {
  // BadInputError.field(field, 'rule', ...), and the import refusals' one(...) / add(...).
  for (const m of text.matchAll(
    /(?:BadInputError\.field|Refused\w*\.one|\.add)\(\s*([^,()]+?)\s*,\s*'(\w+)'/g,
  )) {
    if (!declaredRules.has(m[2]) && !m[0].startsWith('BadInputError')) continue;
    const field = literal(m[1]);
    add(field, m[2], file);
    if (field !== '*') continue;
    // A computed field: the enclosing function is a helper; its callers name the field.
    const before = text.slice(0, m.index);
    const owner = [
      ...before.matchAll(/(?:function\s+(\w+)\s*\(([^)]*)\)|(?:const|let)\s+(\w+)\s*=\s*\(([^)]*)\)\s*=>)/g),
    ].at(-1);
    if (!owner) continue;
    const name = owner[1] ?? owner[3];
    const helper = helpers.get(name) ?? {
      rules: new Set(),
      fallback: /\bfield\s*=\s*'(\w+)'/.exec(owner[2] ?? owner[4] ?? '')?.[1],
    };
    helper.rules.add(m[2]);
    helpers.set(name, helper);
  }
  // Objects of the invalidFields shape: { field: 'x', rule: 'y', ... } (plain routes, upload refusals).
  for (const m of text.matchAll(/\brule:\s*'(\w+)'/g)) {
    const before = text.slice(Math.max(0, m.index - 200), m.index);
    const field = [...before.matchAll(/\bfield:\s*('?\w+'?)/g)].at(-1)?.[1] ?? '*';
    add(literal(field), m[1], file);
  }
  // Rules given as a type argument or a default (e.g. `rule: 'invalid' | 'limitReached' = 'invalid'`).
  for (const m of text.matchAll(/\brule\??:\s*((?:'\w+'\s*\|\s*)+'\w+')/g)) {
    for (const r of m[1].matchAll(/'(\w+)'/g)) add('*', r[1], file);
  }
  for (const m of text.matchAll(/Extract<InputRule,\s*([^>]+)>/g)) {
    for (const r of m[1].matchAll(/'(\w+)'/g)) {
      add('*', r[1], file);
      carried.add(r[1]);
    }
  }
  // A rule carried in a variable (a check's answer): paired below with the rules such answers may hold.
  for (const m of text.matchAll(/BadInputError\.field\(\s*'(\w+)'\s*,\s*[\w.]+\.rule\b/g))
    carriedBy.add(m[1]);
  // Input classes: the validation decorators above a property report (property, rule).
  let from = 0;
  for (const m of text.matchAll(/^\s*(\w+)[?!]?:\s*[^;=(\n]+;\s*$/gm)) {
    const decorators = text.slice(from, m.index);
    from = m.index + m[0].length;
    for (const d of decorators.matchAll(/@(\w+)\(/g)) {
      const constraint = decoratorConstraints[d[1]];
      if (constraint) add(m[1], constraintRules.get(constraint) ?? 'invalid', file);
    }
  }
}
// The callers of those helpers: the field is a quoted name among the arguments (or the helper's default).
for (const [name, { rules, fallback }] of helpers) {
  for (const { file, text } of files) {
    for (const call of text.matchAll(new RegExp(`\\b${name}\\(([^()]*)\\)`, 'g'))) {
      const names = [...call[1].matchAll(/'(\w+)'/g)].map((m) => m[1]);
      const fields = names.length ? names : fallback ? [fallback] : [];
      for (const field of fields) for (const rule of rules) add(field, rule, file);
    }
  }
}
for (const field of carriedBy) for (const rule of carried) add(field, rule, join(serverDir, 'errors.ts'));
for (const rule of new Set(constraintRules.values())) add('*', rule, join(serverDir, 'errors.ts'));
add('*', 'invalid', join(serverDir, 'errors.ts'));

const problems = [];
for (const rule of declaredRules) {
  for (const [lang, keys] of Object.entries(dictionaries)) {
    if (!keys.has(`invalid.${rule}`))
      problems.push(`missing in ${lang}: invalid.${rule} (rule "${rule}" of InputRule)`);
  }
}
for (const { field, rule, where } of found) {
  if (!declaredRules.has(rule))
    problems.push(`${where}: rule "${rule}" is not an InputRule of server/src/errors.ts`);
  for (const [lang, keys] of Object.entries(dictionaries)) {
    if (!keys.has(`invalid.${rule}`) && !keys.has(`invalid.${field}.${rule}`)) {
      problems.push(`missing in ${lang}: invalid.${rule} (field "${field}", ${where})`);
    }
  }
}

const pairs = [...new Set(found.map(({ field, rule }) => `${field} ${rule}`))].sort();
if (process.argv.includes('--list')) {
  for (const pair of pairs) {
    const [field, rule] = pair.split(' ');
    // As errors.ts reads them: the field's own message, a new password's, then the rule's.
    const candidates = [
      `invalid.${field}.${rule}`,
      ...(['password', 'newPassword'].includes(field) ? [`invalid.password.${rule}`] : []),
    ];
    const key = candidates.find((k) => dictionaries.en.has(k)) ?? `invalid.${rule}`;
    console.log(`${field.padEnd(20)} ${rule.padEnd(18)} → ${key}`);
  }
}
if (problems.length) {
  for (const problem of [...new Set(problems)]) console.error(problem);
  process.exit(1);
}
console.log(
  `invalid messages: ${declaredRules.size} rules, ${pairs.length} (field, rule) pairs from the server, all in en and fr.`,
);
