// Runs in plain node, without a browser: it sits under client/test only because that is where the
// browser project looks. It fails when a message exists in one language and not in the other.
import { en as enCore } from '../src/lib/i18n/en';
import { enAccount } from '../src/lib/i18n/en-account';
import { enAdmin } from '../src/lib/i18n/en-admin';
import { enWork } from '../src/lib/i18n/en-work';
import { fr as frCore } from '../src/lib/i18n/fr';
import { frAccount } from '../src/lib/i18n/fr-account';
import { frAdmin } from '../src/lib/i18n/fr-admin';
import { frWork } from '../src/lib/i18n/fr-work';

const en = { ...enCore, ...enAdmin, ...enAccount, ...enWork };
const fr: Record<keyof typeof en, string> = { ...frCore, ...frAdmin, ...frAccount, ...frWork };

describe('the dictionaries', () => {
  it('have the same keys in English and French', () => {
    const enKeys = Object.keys(en).sort();
    const frKeys = Object.keys(fr).sort();
    expect(enKeys.filter((key) => !frKeys.includes(key))).toEqual([]);
    expect(frKeys.filter((key) => !enKeys.includes(key))).toEqual([]);
  });

  it('have no empty message and the same {placeholders} in both languages', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect([key, en[key].trim().length > 0, fr[key].trim().length > 0]).toEqual([key, true, true]);
      expect([key, placeholders(fr[key])]).toEqual([key, placeholders(en[key])]);
    }
  });
});
