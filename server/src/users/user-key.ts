/** Usernames and emails are unique and looked up without regard to case or surrounding spaces. */
export const normalizeKey = (value: string): string => value.trim().toLowerCase();
