import { Locale, Role } from '../users/role';
import { activityMessages } from './activity-messages';
import { describeChange } from './ticket-activity.renderer';

const texts = activityMessages[Locale.EN];
const staff = { role: Role.AGENT };

describe('describeChange', () => {
  test('names known fields and values in the reader’s words', () => {
    expect(describeChange({ field: 'status', from: 'OPEN', to: 'RESOLVED' }, staff, texts, ': ')).toBe(
      `${texts.fields.status}: ${texts.statuses.OPEN} → ${texts.statuses.RESOLVED}`,
    );
  });

  test('an imported field or value named like an object property is shown as written', () => {
    expect(describeChange({ field: 'constructor', from: null, to: 'x' }, staff, texts, ': ')).toBe(
      `constructor: ${texts.none} → x`,
    );
    expect(describeChange({ field: 'status', from: '__proto__', to: 'toString' }, staff, texts, ': ')).toBe(
      `${texts.fields.status}: __proto__ → toString`,
    );
  });
});
