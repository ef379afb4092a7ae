import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Characters that show nothing on their own: whitespace (NBSP and ideographic space included), control
 * and format characters (\p{Cf}: zero-width space, ZWNJ, ZWJ, word joiner, BOM, soft hyphen…), variation
 * selectors, and the Hangul fillers and blank Braille cell that render as empty space.
 */
const INVISIBLE = '\\s\\p{Z}\\p{Cc}\\p{Cf}\\uFE00-\\uFE0F\\u115F\\u1160\\u3164\\uFFA0\\u2800';
const ONLY_INVISIBLE = new RegExp(`^[${INVISIBLE}]*$`, 'u');
const INVISIBLE_EDGES = new RegExp(`^[${INVISIBLE}]+|[${INVISIBLE}]+$`, 'gu');

/** True when the text shows nothing: empty, or only whitespace and zero-width characters. */
export function isBlank(text: string): boolean {
  return ONLY_INVISIBLE.test(text);
}

/** The text without the invisible characters at its ends (String.trim() keeps zero-width ones). */
export function trimInvisible(text: string): string {
  return text.replace(INVISIBLE_EDGES, '');
}

/**
 * Refuses a text that shows nothing, as rule `required`. Reported under class-validator's own
 * `isNotEmpty` key, which the error formatter maps to `required`. Absent optional values pass.
 */
export function NotBlank(field: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNotEmpty',
      validator: {
        validate: (value: unknown) => value == null || (typeof value === 'string' && !isBlank(value)),
        defaultMessage: () => `${field} must not be blank.`,
      },
    },
    options,
  );
}
