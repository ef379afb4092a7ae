import type { EntityManager } from 'typeorm';
import type { OutboxMessage } from '../outbox/outbox-message.entity';
import { MessageCancelled, type RenderContext, type RendererRegistry } from '../outbox/renderers';
import { Locale } from '../users/role';
import { User } from '../users/user.entity';
import {
  AccountTemplate,
  type EmailChangedParams,
  type PasswordResetParams,
  type VerifyEmailParams,
  emailChangedMessage,
  passwordResetMessage,
  verifyEmailMessage,
} from './account-messages';
import { hashTokenSecret, isTokenUsable } from './account-tokens';
import { TokenPurpose, UserToken } from './user-token.entity';

async function recipientOf(message: OutboxMessage, manager: EntityManager): Promise<User | null> {
  return message.recipientUserId === null ? null : manager.findOneBy(User, { id: message.recipientUserId });
}

/** A link that can no longer work (used, replaced by a newer one, expired) is not worth sending. */
async function assertLinkStillWorks(
  manager: EntityManager,
  secret: unknown,
  purpose: TokenPurpose,
  now: Date,
): Promise<string> {
  if (typeof secret !== 'string') throw new MessageCancelled('the link is no longer kept');
  const token = await manager.findOneBy(UserToken, { tokenHash: hashTokenSecret(secret) });
  if (!token || !isTokenUsable(token, purpose, now)) {
    throw new MessageCancelled('the link was used, replaced by a newer one, or expired');
  }
  return secret;
}

/** The renderers of the account emails, registered by services.ts. */
export function registerAccountRenderers(renderers: RendererRegistry): void {
  renderers.register(
    AccountTemplate.VERIFY_EMAIL,
    async (message, { manager, publicUrl, now }: RenderContext) => {
      const params = message.params as unknown as VerifyEmailParams;
      const user = await recipientOf(message, manager);
      if (!user) throw new MessageCancelled('the account no longer exists');
      const secret = await assertLinkStillWorks(manager, params.secret, TokenPurpose.VERIFY_EMAIL, now);
      return verifyEmailMessage({ ...params, secret }, user.locale, publicUrl, now.getTime());
    },
  );

  renderers.register(
    AccountTemplate.PASSWORD_RESET,
    async (message, { manager, publicUrl, now }: RenderContext) => {
      const params = message.params as unknown as PasswordResetParams;
      const user = await recipientOf(message, manager);
      if (!user) throw new MessageCancelled('the account no longer exists');
      const secret = await assertLinkStillWorks(manager, params.secret, TokenPurpose.RESET_PASSWORD, now);
      return passwordResetMessage({ ...params, secret }, user.locale, publicUrl, now.getTime());
    },
  );

  // Sent even if the account changed again since: the old address must hear of every change.
  renderers.register(AccountTemplate.EMAIL_CHANGED, async (message, { manager }: RenderContext) => {
    const user = await recipientOf(message, manager);
    return emailChangedMessage(message.params as unknown as EmailChangedParams, user?.locale ?? Locale.EN);
  });
}
