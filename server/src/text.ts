import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Characters that show nothing on their own: whitespace (NBSP and ideographic space included), control
 * and format characters (\p{Cf}: zero-width space, ZWNJ, ZWJ, word joiner, BOM, soft hyphen…), variation
 * selectors, and the Hangul fillers and blank Braille cell that render as empty space.
 */
const INVISIBLE = '\\s\\p{Z}\\p{Cc}\\p{Cf}\\uFE00-\\uFE0F\\u115F\\u1160\\u3164\\uFFA0\\u2800';
const ONLY_INVISIBLE = new RegExp(`^[${INVISIBLE}]*$`, 'u');
const INVISIBLE_EDGES = new RegExp(`^[${INVISIBLE}]+|[${INVISIBLE}]+$`, 'gu');
/** The invisible characters that take no room at all (spaces between words do show). */
const ZERO_WIDTH = /[\p{Cf}\uFE00-\uFE0F]|(?![\t\n\v\f\r])\p{Cc}/gu;

/** True when the text shows nothing: empty, or only whitespace and zero-width characters. */
export function isBlank(text: string): boolean {
  return ONLY_INVISIBLE.test(text);
}

/** The text without the invisible characters at its ends (String.trim() keeps zero-width ones). */
export function trimInvisible(text: string): string {
  return text.replace(INVISIBLE_EDGES, '');
}

/** How many characters the text shows: invisible ones at its ends and zero-width ones inside not counted. */
export function visibleLength(text: string): number {
  return [...trimInvisible(text).replace(ZERO_WIDTH, '')].length;
}

/** Refuses a text that shows nothing, as rule `required`. Absent optional values pass. */
export function NotBlank(field: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'notBlank',
      validator: {
        validate: (value: unknown) => value == null || (typeof value === 'string' && !isBlank(value)),
        defaultMessage: () => `${field} must not be blank.`,
      },
    },
    options,
  );
}

/**
 * Length rule (`length`) for text that must show something: at least min characters that show (so
 * "\u200B\u200Bab" is 2), and at most max characters in all, counting the invisible ones that would be stored.
 * Absent optional values pass.
 */
export function VisibleLength(
  min: number,
  max: number,
  message: string,
  options?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name: 'visibleLength',
      validator: {
        validate: (value: unknown) =>
          value == null ||
          (typeof value === 'string' && visibleLength(value) >= min && [...value].length <= max),
        defaultMessage: () => message,
      },
    },
    options,
  );
}
