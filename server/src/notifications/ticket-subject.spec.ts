import { ticketSubject } from './ticket-subject';

describe('ticketSubject', () => {
  test('is the number and the title', () => {
    expect(ticketSubject({ id: 42, title: 'Search box ignores accents' })).toBe(
      '[#42] Search box ignores accents',
    );
  });

  test('a title cannot disguise it: no line breaks, bidi overrides or encoded words', () => {
    const subject = ticketSubject({
      id: 7,
      title: 'Refund \u202Egnp.exe\u202C\r\nBcc: x@y =?utf-8?b?UGF5?=',
    });
    expect(subject).toBe('[#7] Refund gnp.exe Bcc: x@y = ?utf-8?b?UGF5?=');
  });
});
