import {
  USER_KEYS,
  fromOldParams,
  namesNeeded,
  parseQuery,
  serializeQuery,
  toFilter,
  valueOf,
  withKey,
  type NameLookup,
} from './query-bar';

const names: NameLookup = {
  me: '7',
  project: (name) => ({ 'mobile app': '3', website: '4' })[name.toLowerCase()],
  user: (name) => ({ bob: '8', zoé: '9' })[name.toLowerCase()],
};

const filterOf = (text: string) => {
  const parsed = parseQuery(text);
  expect(parsed.problems).toEqual([]);
  return toFilter(parsed.terms, names);
};

describe('parseQuery: what people type', () => {
  test('every key, free words, quoted names', () => {
    const { terms, problems } = parseQuery(
      'is:open status:Open,WAITING assignee:me author:bob project:"Mobile app" priority:high category:bug printer jam',
    );
    expect(problems).toEqual([]);
    expect(terms).toEqual([
      { key: 'is', values: ['OPEN'], negated: false },
      { key: 'status', values: ['OPEN', 'WAITING'], negated: false },
      { key: 'assignee', values: ['me'], negated: false },
      { key: 'author', values: ['bob'], negated: false },
      { key: 'project', values: ['Mobile app'], negated: false },
      { key: 'priority', values: ['HIGH'], negated: false },
      { key: 'category', values: ['BUG'], negated: false },
      { key: 'text', values: ['printer'], negated: false },
      { key: 'text', values: ['jam'], negated: false },
    ]);
  });

  test('keys and values in any case; in-progress, in_progress and inprogress are one status', () => {
    for (const spelling of ['in-progress', 'IN_PROGRESS', 'InProgress']) {
      expect(parseQuery(`STATUS:${spelling}`).terms).toEqual([
        { key: 'status', values: ['IN_PROGRESS'], negated: false },
      ]);
    }
    expect(parseQuery('Assignee:NONE').terms).toEqual([
      { key: 'assignee', values: ['none'], negated: false },
    ]);
  });

  test('a quoted phrase is searched as it is; extra spaces do not matter', () => {
    expect(parseQuery('  "paper jam"   project:Website ').terms).toEqual([
      { key: 'text', values: ['paper jam'], negated: false },
      { key: 'project', values: ['Website'], negated: false },
    ]);
  });

  test('what it does not understand is named, never ignored', () => {
    expect(parseQuery('foo:bar statu:x printer').problems).toEqual([
      { kind: 'unknownKey', key: 'foo' },
      { kind: 'unknownKey', key: 'statu' },
    ]);
    expect(parseQuery('status:done,open priority:hot is:maybe category:').problems).toEqual([
      { kind: 'unknownValue', key: 'status', value: 'done' },
      { kind: 'unknownValue', key: 'priority', value: 'hot' },
      { kind: 'unknownValue', key: 'is', value: 'maybe' },
      { kind: 'missingValue', key: 'category' },
    ]);
    expect(parseQuery('project:"Mobile app').problems).toEqual([{ kind: 'unclosedQuote' }]);
    expect(parseQuery('assignee:bob,zoé').problems).toEqual([{ kind: 'oneValue', key: 'assignee' }]);
    expect(parseQuery('project:A project:B').problems).toEqual([{ kind: 'repeated', key: 'project' }]);
  });

  test('negation where the API can say it (statuses, priorities, categories, is, assigned), refused elsewhere', () => {
    expect(parseQuery('-status:waiting -assignee:none -is:open').problems).toEqual([]);
    expect(parseQuery('-assignee:bob -project:Website -printer').problems).toEqual([
      { kind: 'negationNotSupported', token: '-assignee:bob' },
      { kind: 'negationNotSupported', token: '-project:Website' },
      { kind: 'negationNotSupported', token: '-printer' },
    ]);
    // A hyphen inside a word is a word.
    expect(parseQuery('e-mail').terms).toEqual([{ key: 'text', values: ['e-mail'], negated: false }]);
  });

  test('a reporter is told the keys that are not theirs', () => {
    expect(parseQuery('assignee:me author:me is:open', { keys: USER_KEYS }).problems).toEqual([
      { kind: 'keyNotAllowed', key: 'assignee' },
      { kind: 'keyNotAllowed', key: 'author' },
    ]);
  });
});

describe('serializeQuery', () => {
  test('canonical text: lower-case keys and values, names quoted when they need it', () => {
    const { terms } = parseQuery(
      'IS:OPEN  Status:Waiting,in-progress project:"Mobile app" -priority:LOW "paper jam"',
    );
    expect(serializeQuery(terms)).toBe(
      'is:open status:waiting,in_progress project:"Mobile app" -priority:low "paper jam"',
    );
  });

  test('round trip: parse → serialize → parse gives the same terms', () => {
    for (const text of [
      'is:closed assignee:none author:me category:bug,question words here',
      'project:"A, B" assignee:"Zoé Martin" -status:open,closed',
      '',
    ]) {
      const first = parseQuery(text);
      expect(first.problems).toEqual([]);
      const again = parseQuery(serializeQuery(first.terms));
      expect(again).toEqual(first);
      expect(serializeQuery(again.terms)).toBe(serializeQuery(first.terms));
    }
  });

  test('withKey and valueOf: the filter menus set one key in place', () => {
    const { terms } = parseQuery('is:open printer priority:high');
    expect(serializeQuery(withKey(terms, 'priority', 'LOW'))).toBe('is:open printer priority:low');
    expect(serializeQuery(withKey(terms, 'is', ''))).toBe('printer priority:high');
    expect(serializeQuery(withKey(terms, 'project', 'Mobile app'))).toBe(
      'is:open printer priority:high project:"Mobile app"',
    );
    expect(valueOf(terms, 'priority')).toBe('HIGH');
    expect(valueOf(parseQuery('status:open,waiting').terms, 'status')).toBe('');
  });
});

describe('toFilter: the API filter', () => {
  test('every key', () => {
    expect(
      filterOf(
        'is:open status:open,waiting assignee:me author:Bob project:"mobile app" priority:high category:bug jam',
      ).filter,
    ).toEqual({
      open: true,
      status: ['OPEN', 'WAITING'],
      assigneeId: '7',
      authorId: '8',
      projectId: '3',
      priority: ['HIGH'],
      category: ['BUG'],
      search: 'jam',
    });
    expect(filterOf('assignee:none').filter).toEqual({ unassigned: true });
    expect(filterOf('-assignee:none').filter).toEqual({ unassigned: false });
    expect(filterOf('-is:open').filter).toEqual({ open: false });
  });

  test('a negated enum keeps the other values; several terms of a key all apply', () => {
    expect(filterOf('-status:waiting').filter).toEqual({
      status: ['OPEN', 'IN_PROGRESS', 'RESOLVED', 'CLOSED'],
    });
    expect(filterOf('priority:high,urgent -priority:urgent').filter).toEqual({ priority: ['HIGH'] });
  });

  test('names that match nothing are problems', () => {
    const { terms } = parseQuery('project:"Nowhere" assignee:ghost author:me');
    expect(toFilter(terms, names)).toEqual({
      filter: { authorId: '7' },
      problems: [
        { kind: 'unknownProject', name: 'Nowhere' },
        { kind: 'unknownUser', name: 'ghost' },
      ],
    });
    expect(namesNeeded(terms)).toEqual({ projects: true, users: true });
    expect(namesNeeded(parseQuery('assignee:me is:open').terms)).toEqual({ projects: false, users: false });
  });
});

describe('fromOldParams: the old addresses keep working', () => {
  const lookups = {
    project: (id: string) => ({ '3': 'Mobile app' })[id],
    user: (id: string) => ({ '8': 'bob' })[id],
  };
  test('the header’s link and every old parameter', () => {
    expect(fromOldParams(new URLSearchParams('assignee=me&open=true'), lookups)).toBe('is:open assignee:me');
    expect(
      fromOldParams(
        new URLSearchParams(
          'q=printer&status=WAITING&priority=HIGH&category=BUG&project=3&assignee=8&author=8&open=false',
        ),
        lookups,
      ),
    ).toBe(
      'is:closed status:waiting priority:high category:bug project:"Mobile app" assignee:bob author:bob printer',
    );
    expect(fromOldParams(new URLSearchParams('assignee=none'), lookups)).toBe('assignee:none');
  });

  test('a new address is left alone; an id that names nothing is left out', () => {
    expect(fromOldParams(new URLSearchParams('q=is:open&sort=updated'), lookups)).toBeNull();
    expect(fromOldParams(new URLSearchParams('project=99&open=true'), lookups)).toBe('is:open');
  });
});
