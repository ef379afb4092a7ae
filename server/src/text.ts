import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Characters that show nothing on their own: whitespace (NBSP and ideographic space included), control
 * and format characters (\p{Cf}: zero-width space, ZWNJ, ZWJ, word joiner, BOM, soft hyphen…), and every
 * Unicode default-ignorable code point (variation selectors and their supplement, the combining grapheme
 * joiner, Mongolian free variation selectors, Khmer inherent vowels, Hangul fillers, tags…), plus the
 * blank Braille cell, which renders as empty space.
 */
const INVISIBLE = '\\s\\p{Z}\\p{Cc}\\p{Cf}\\p{Default_Ignorable_Code_Point}\\u2800';
/** Blank: only invisible characters and combining marks (\p{M}), which have no letter to sit on. */
const ONLY_INVISIBLE = new RegExp(`^[${INVISIBLE}\\p{M}]*$`, 'u');
const INVISIBLE_EDGES = new RegExp(`^[${INVISIBLE}]+|[${INVISIBLE}]+$`, 'gu');
/**
 * What takes no room of its own: invisible characters other than spaces and line breaks (spaces
 * between words do show), and combining marks, which belong to the character before them.
 */
const ZERO_WIDTH = /[\p{Cf}\p{Default_Ignorable_Code_Point}\p{M}]|(?![\t\n\v\f\r])\p{Cc}/gu;

/** True when the text shows nothing: empty, or only whitespace, zero-width characters and lone marks. */
export function isBlank(text: string): boolean {
  return ONLY_INVISIBLE.test(text);
}

/** The text without the invisible characters at its ends (String.trim() keeps zero-width ones). */
export function trimInvisible(text: string): string {
  return text.replace(INVISIBLE_EDGES, '');
}

/**
 * How many characters the text shows: invisible ones at its ends, zero-width ones and combining marks
 * inside not counted.
 */
export function visibleLength(text: string): number {
  return [...trimInvisible(text).replace(ZERO_WIDTH, '')].length;
}

/**
 * U+0000 (NUL): PostgreSQL cannot store it in text, where SQLite can. No text input may hold it, on
 * either database: the GraphQL API refuses it in every argument (graphql-plugins.ts), imports in every
 * text they read.
 */
export function holdsNul(text: string): boolean {
  return text.includes('\u0000');
}

/** Why text holding U+0000 is refused (rule `format`). */
export function nulMessage(field: string): string {
  return `${field} must not contain the character U+0000 (NUL), which cannot be stored.`;
}

/** How many characters the text stores, invisible ones included: code points, as varchar(n) counts them. */
export function storedLength(text: string): number {
  return [...text].length;
}

/** ES2024's String.prototype.isWellFormed: in Node 20, not in this project's ES2023 typings. */
type Es2024String = string & { isWellFormed(): boolean };

/** False when the text has a lone surrogate (half of a UTF-16 pair), which no character encodes. */
export function isWellFormed(text: string): boolean {
  return (text as Es2024String).isWellFormed();
}

/**
 * Refuses text that is not well-formed UTF-16, as rule `format`. Added by NotBlank and VisibleLength, and
 * on its own to free text (comments, descriptions); on one field it is checked once.
 */
export function WellFormed(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'wellFormed',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || isWellFormed(value),
        defaultMessage: (args) =>
          `${args?.property ?? 'text'} must be valid Unicode text (it has a lone surrogate).`,
      },
    },
    options,
  );
}

/** Applies both decorators to the property. */
function both(first: PropertyDecorator, second: PropertyDecorator): PropertyDecorator {
  return (target, key) => {
    first(target, key);
    second(target, key);
  };
}

/** Refuses a text that shows nothing, as rule `required`, and one that is not well-formed. Absent optional values pass. */
export function NotBlank(field: string, options?: ValidationOptions): PropertyDecorator {
  return both(
    WellFormed(options),
    ValidateBy(
      {
        name: 'notBlank',
        validator: {
          validate: (value: unknown) => value == null || (typeof value === 'string' && !isBlank(value)),
          defaultMessage: () => `${field} must not be blank.`,
        },
      },
      options,
    ),
  );
}

/**
 * Length rule (`length`) for text that must show something: at least min characters that show (so
 * "\u200B\u200Bab" is 2), and at most max characters in all, counting the invisible ones that would be stored.
 * Text that is not well-formed is refused too (rule `format`). Absent optional values pass.
 */
export function VisibleLength(
  min: number,
  max: number,
  message: string,
  options?: ValidationOptions,
): PropertyDecorator {
  return both(
    WellFormed(options),
    ValidateBy(
      {
        name: 'visibleLength',
        validator: {
          validate: (value: unknown) =>
            value == null ||
            (typeof value === 'string' && visibleLength(value) >= min && storedLength(value) <= max),
          defaultMessage: () => message,
        },
      },
      options,
    ),
  );
}
