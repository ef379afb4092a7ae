import type { Client } from '@urql/svelte';
import { graphql, type ResultOf } from './graphql';
import { setLang } from './i18n/index.svelte';
import { currentUrl, navigate, route } from './router.svelte';

export const MeFields = graphql(`
  fragment MeFields on User {
    id
    username
    email
    emailVerified
    role
    locale
    notifyByEmail
  }
`);

const MeQuery = graphql(
  `
    query Me {
      me {
        ...MeFields
      }
    }
  `,
  [MeFields],
);

export type Me = ResultOf<typeof MeFields>;

export const session = $state<{ user: Me | null; loaded: boolean }>({ user: null, loaded: false });

export const isStaff = (user: Me | null): boolean => user?.role === 'AGENT' || user?.role === 'ADMIN';

export function signIn(user: Me) {
  session.user = user;
  session.loaded = true;
  void setLang(user.locale === 'FR' ? 'fr' : 'en');
}

export function signOut() {
  session.user = null;
}

export async function loadSession(client: Client) {
  const result = await client.query(MeQuery, {}, { requestPolicy: 'network-only' }).toPromise();
  if (result.data?.me) signIn(result.data.me);
  session.loaded = true;
}

/** An expired session sends people to the login page, and back to where they were once signed in. */
export function onSessionExpired() {
  session.user = null;
  if (route.path === '/login' || route.path === '/register') return;
  navigate(`/login?next=${encodeURIComponent(currentUrl())}`, { replace: true });
}
