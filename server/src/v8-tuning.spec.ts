import { V8_FLAGS, flagsToSet } from './v8-tuning';

describe('V8 settings of the service process', () => {
  test('all of them by default', () => {
    expect(flagsToSet(V8_FLAGS, [])).toEqual([...V8_FLAGS]);
    expect(flagsToSet(V8_FLAGS, ['--enable-source-maps', '--max-old-space-size=512'])).toEqual([...V8_FLAGS]);
  });

  test('one the operator gives on the command line, in either spelling, is left as given', () => {
    const growing = '--heap-growing-percent=30';
    expect(flagsToSet(V8_FLAGS, ['--heap-growing-percent=80'])).not.toContain(growing);
    expect(flagsToSet(V8_FLAGS, ['--inspect', '--heap_growing_percent=10'])).not.toContain(growing);
    expect(flagsToSet(V8_FLAGS, ['--allocation-site-pretenuring'])).toEqual([growing]);
  });
});
