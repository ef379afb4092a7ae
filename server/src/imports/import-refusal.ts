import { AppError, type InputRule, type InvalidField } from '../errors';

/** How many problems a refusal names: enough to fix a file in a few rounds, short enough to read. */
export const MAX_PROBLEMS = 20;

/**
 * A file refused as a whole (BAD_USER_INPUT): nothing was written. Each invalid field names the place
 * in the file (`tickets[3].authorId`, `line 12`) and the rule it breaks.
 */
export class ImportRefusedError extends AppError {
  constructor(problems: InvalidField[], more = 0) {
    const listed = problems.map((problem) => problem.message).join(' ');
    const tail = more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : '';
    super(`The file was refused, nothing was imported. ${listed}${tail}`, 'BAD_USER_INPUT', {
      invalidFields: problems,
    });
  }

  static one(field: string, rule: InputRule, message: string): ImportRefusedError {
    return new ImportRefusedError([{ field, rule, message }]);
  }
}

/** Collects the problems of a file, keeping the first MAX_PROBLEMS and counting the rest. */
export class ProblemList {
  private readonly problems: InvalidField[] = [];
  private more = 0;

  add(field: string, rule: InputRule, message: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ field, rule, message });
    else this.more += 1;
  }

  get count(): number {
    return this.problems.length + this.more;
  }

  /** Past this many, checking further only counts: the answer would not show them. */
  get full(): boolean {
    return this.problems.length >= MAX_PROBLEMS;
  }

  throwIfAny(): void {
    if (this.count > 0) throw new ImportRefusedError(this.problems, this.more);
  }
}
