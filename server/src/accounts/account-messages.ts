import { HOUR_MS, MINUTE_MS } from '../clock';
import { escapeHtml, htmlDocument } from '../outbox/email-html';
import { emailLocaleOf } from '../outbox/email-locale';
import { Locale } from '../users/role';

/** The outbox templates of account emails. */
export enum AccountTemplate {
  VERIFY_EMAIL = 'verify-email',
  EMAIL_CHANGED = 'email-changed',
  PASSWORD_RESET = 'password-reset',
}

/** `secret` is the link's token: the delivery worker removes it from the message once sent. */
export interface VerifyEmailParams {
  secret: string;
  email: string;
  expiresAt: number;
}

export interface PasswordResetParams {
  secret: string;
  expiresAt: number;
}

export interface EmailChangedParams {
  username: string;
  oldEmail: string;
  newEmail: string;
  changedAt: number;
}

export interface AccountEmail {
  subject: string;
  text: string;
  html: string;
}

/** One paragraph of an email; `link` is shown as a link in HTML and as a bare URL in text. */
type Block = { text: string } | { link: string; label: string };

interface AccountTexts {
  hours(count: number): string;
  minutes(count: number): string;
  verify: { subject: string; intro(email: string): string; action: string; validity(left: string): string };
  reset: { subject: string; intro: string; action: string; validity(left: string): string };
  changed: {
    subject: string;
    intro(username: string, oldEmail: string, newEmail: string, when: string): string;
    verifiedUntil: string;
  };
  notYou: { verify: string; reset: string; changed: string };
  signature: string;
}

const en: AccountTexts = {
  hours: (count) => (count === 1 ? '1 hour' : `${count} hours`),
  minutes: (count) => (count === 1 ? '1 minute' : `${count} minutes`),
  verify: {
    subject: 'Confirm your email address',
    intro: (email) => `Please confirm that ${email} is your email address for Simple Ticketing.`,
    action: 'Confirm my address',
    validity: (left) => `This link works once and for ${left}.`,
  },
  reset: {
    subject: 'Reset your password',
    intro: 'Someone, hopefully you, asked to reset the password of your Simple Ticketing account.',
    action: 'Choose a new password',
    validity: (left) =>
      `This link works once and for ${left}. Setting a new password signs you out everywhere.`,
  },
  changed: {
    subject: 'Your email address was changed',
    intro: (username, oldEmail, newEmail, when) =>
      `The email address of your Simple Ticketing account ${username} was changed on ${when} from ${oldEmail} to ${newEmail}.`,
    verifiedUntil: 'Messages go to the new address once it is confirmed; this address gets no more of them.',
  },
  notYou: {
    verify: 'If you did not create this account or change its address, ignore this email: nothing happens.',
    reset: 'If this wasn’t you, ignore this email: your password stays as it is.',
    changed:
      'If this wasn’t you, someone who knows your password changed it: contact an administrator of the service right away, and change your password wherever you use the same one.',
  },
  signature: 'Simple Ticketing',
};

const fr: AccountTexts = {
  hours: (count) => (count === 1 ? '1 heure' : `${count} heures`),
  minutes: (count) => (count === 1 ? '1 minute' : `${count} minutes`),
  verify: {
    subject: 'Confirmez votre adresse e-mail',
    intro: (email) => `Merci de confirmer que ${email} est votre adresse e-mail pour Simple Ticketing.`,
    action: 'Confirmer mon adresse',
    validity: (left) => `Ce lien ne sert qu’une fois, pendant ${left}.`,
  },
  reset: {
    subject: 'Réinitialisez votre mot de passe',
    intro:
      'Quelqu’un, sans doute vous, a demandé à réinitialiser le mot de passe de votre compte Simple Ticketing.',
    action: 'Choisir un nouveau mot de passe',
    validity: (left) =>
      `Ce lien ne sert qu’une fois, pendant ${left}. Un nouveau mot de passe ferme toutes vos sessions.`,
  },
  changed: {
    subject: 'Votre adresse e-mail a été modifiée',
    intro: (username, oldEmail, newEmail, when) =>
      `L’adresse e-mail de votre compte Simple Ticketing ${username} a été modifiée le ${when}\u00a0: ${oldEmail} est remplacée par ${newEmail}.`,
    verifiedUntil:
      'Les messages iront à la nouvelle adresse une fois confirmée\u00a0; cette adresse n’en recevra plus.',
  },
  notYou: {
    verify:
      'Si vous n’avez pas créé ce compte ni changé son adresse, ignorez cet e-mail\u00a0: rien ne se passera.',
    reset: 'Si ce n’était pas vous, ignorez cet e-mail\u00a0: votre mot de passe reste inchangé.',
    changed:
      'Si ce n’était pas vous, quelqu’un qui connaît votre mot de passe l’a modifiée\u00a0: contactez sans attendre un administrateur du service, et changez votre mot de passe partout où vous utilisez le même.',
  },
  signature: 'Simple Ticketing',
};

const textsByLocale: Record<Locale, AccountTexts> = { [Locale.EN]: en, [Locale.FR]: fr };

/** The subject of an account email in the recipient's language, stored with the message at enqueue. */
export function accountSubject(template: AccountTemplate, locale: Locale): string {
  const texts = textsByLocale[locale] ?? en;
  switch (template) {
    case AccountTemplate.VERIFY_EMAIL:
      return texts.verify.subject;
    case AccountTemplate.PASSWORD_RESET:
      return texts.reset.subject;
    case AccountTemplate.EMAIL_CHANGED:
      return texts.changed.subject;
  }
}

/**
 * How long the link still works when the mail goes out (a retried mail says less than a fresh one),
 * rounded down so it never promises more: whole hours from 1 hour on, else whole minutes (at least 1).
 */
function validityOf(texts: AccountTexts, now: number, expiresAt: number): string {
  // Half a minute's grace: a mail sent seconds after the request says "1 hour", not "59 minutes".
  const left = Math.max(0, expiresAt - now) + MINUTE_MS / 2;
  return left >= HOUR_MS
    ? texts.hours(Math.floor(left / HOUR_MS))
    : texts.minutes(Math.max(1, Math.floor(left / MINUTE_MS)));
}

/** A date and time, in UTC since the service does not know the reader's time zone. */
function formatWhen(at: number, locale: Locale): string {
  const formatted = new Intl.DateTimeFormat(locale === Locale.FR ? 'fr-FR' : 'en-GB', {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: 'UTC',
  }).format(new Date(at));
  return `${formatted} UTC`;
}

/**
 * The new address, partly hidden: the old one may have been a typo, owned by a stranger, who should not
 * learn the new one; its owner recognizes it all the same.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '…';
  const local = email.slice(0, at);
  return `${local.slice(0, Math.min(2, local.length - 1) || 1)}…${email.slice(at)}`;
}

function compose(subject: string, blocks: Block[], locale: Locale): AccountEmail {
  const { colon } = emailLocaleOf(locale);
  const text = blocks.map((block) => ('link' in block ? `${block.label}${colon}${block.link}` : block.text));
  const html = blocks.map((block) =>
    'link' in block
      ? `<p><a href="${escapeHtml(block.link)}">${escapeHtml(block.label)}</a></p>`
      : `<p>${escapeHtml(block.text)}</p>`,
  );
  return {
    subject,
    text: `${text.join('\n\n')}\n`,
    html: htmlDocument(locale.toLowerCase(), subject, html),
  };
}

/** The verification link of a new or changed address; now is when the mail goes out (for its validity). */
export function verifyEmailMessage(
  params: VerifyEmailParams,
  locale: Locale,
  publicUrl: string,
  now: number,
): AccountEmail {
  const texts = textsByLocale[locale] ?? en;
  const link = `${publicUrl}/verify-email?token=${encodeURIComponent(params.secret)}`;
  return compose(
    texts.verify.subject,
    [
      { text: texts.verify.intro(params.email) },
      { link, label: texts.verify.action },
      { text: texts.verify.validity(validityOf(texts, now, params.expiresAt)) },
      { text: texts.notYou.verify },
      { text: `-- ${texts.signature}` },
    ],
    locale,
  );
}

export function passwordResetMessage(
  params: PasswordResetParams,
  locale: Locale,
  publicUrl: string,
  now: number,
): AccountEmail {
  const texts = textsByLocale[locale] ?? en;
  const link = `${publicUrl}/reset-password?token=${encodeURIComponent(params.secret)}`;
  return compose(
    texts.reset.subject,
    [
      { text: texts.reset.intro },
      { link, label: texts.reset.action },
      { text: texts.reset.validity(validityOf(texts, now, params.expiresAt)) },
      { text: texts.notYou.reset },
      { text: `-- ${texts.signature}` },
    ],
    locale,
  );
}

/** The notice to the old address. */
export function emailChangedMessage(params: EmailChangedParams, locale: Locale): AccountEmail {
  const texts = textsByLocale[locale] ?? en;
  return compose(
    texts.changed.subject,
    [
      {
        text: texts.changed.intro(
          params.username,
          params.oldEmail,
          maskEmail(params.newEmail),
          formatWhen(params.changedAt, locale),
        ),
      },
      { text: texts.changed.verifiedUntil },
      { text: texts.notYou.changed },
      { text: `-- ${texts.signature}` },
    ],
    locale,
  );
}
