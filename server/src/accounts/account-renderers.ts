import type { EntityManager } from 'typeorm';
import type { OutboxMessage } from '../outbox/outbox-message.entity';
import {
  MessageCancelled,
  type RenderContext,
  type RenderedMessage,
  type RendererRegistry,
} from '../outbox/renderers';
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
  // A link mail: to an account that still exists, with a link that still works, rendered at sending time.
  const linkRenderer =
    <P extends { secret: string }>(
      purpose: TokenPurpose,
      build: (params: P, locale: Locale, publicUrl: string, now: number) => RenderedMessage,
    ) =>
    async (message: OutboxMessage, { manager, publicUrl, now }: RenderContext) => {
      const params = message.params as unknown as P;
      const user = await recipientOf(message, manager);
      if (!user) throw new MessageCancelled('the account no longer exists');
      const secret = await assertLinkStillWorks(manager, params.secret, purpose, now);
      return build({ ...params, secret }, user.locale, publicUrl, now.getTime());
    };
  renderers.register(
    AccountTemplate.VERIFY_EMAIL,
    linkRenderer<VerifyEmailParams>(TokenPurpose.VERIFY_EMAIL, verifyEmailMessage),
  );
  renderers.register(
    AccountTemplate.PASSWORD_RESET,
    linkRenderer<PasswordResetParams>(TokenPurpose.RESET_PASSWORD, passwordResetMessage),
  );

  // Sent even if the account changed again since: the old address must hear of every change.
  renderers.register(AccountTemplate.EMAIL_CHANGED, async (message, { manager }: RenderContext) => {
    const user = await recipientOf(message, manager);
    return emailChangedMessage(message.params as unknown as EmailChangedParams, user?.locale ?? Locale.EN);
  });
}
