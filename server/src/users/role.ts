import { registerEnumType } from 'type-graphql';

export enum Role {
  USER = 'USER',
  AGENT = 'AGENT',
  ADMIN = 'ADMIN',
}
registerEnumType(Role, { name: 'Role' });

export enum Locale {
  EN = 'EN',
  FR = 'FR',
}
registerEnumType(Locale, { name: 'Locale' });

/** AGENT and ADMIN work on tickets; USER only reports. */
export const isStaff = (role: Role): boolean => role === Role.AGENT || role === Role.ADMIN;
