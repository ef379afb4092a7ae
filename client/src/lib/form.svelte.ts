import { errorText, fieldErrors, type ApiError } from './errors';
import { t } from './i18n/index.svelte';

/** What a form sends: an urql result (`client.mutation(...).toPromise()`) or anything shaped like one. */
export interface FormResult<Data> {
  data?: Data | null;
  error?: ApiError;
}

export interface FormOptions<Data> {
  /** Inputs that show their own error beside them; any other error goes to the form's message. */
  fields: string[];
  send: () => PromiseLike<FormResult<Data>>;
  /** Runs on success, while the form still reads as pending (a navigation, a follow-up call). */
  onSuccess?: (data: Data) => void | Promise<void>;
}

export interface Form {
  readonly fields: string[];
  /** True from submit until the answer (and onSuccess) is in; the submit button is disabled meanwhile. */
  readonly pending: boolean;
  /** True after a successful submit, until the next one. */
  readonly done: boolean;
  readonly error: ApiError;
  /** Server messages by input name, in the user's language. */
  readonly errors: Record<string, string>;
  /** What no field shows, in plain words for a banner (network, RATE_LIMITED with its wait, ...); '' if none. */
  readonly message: string;
  submit(event?: Event): Promise<void>;
  /** Forgets the last answer (success and errors), e.g. when the form is shown again. */
  clear(): void;
}

/**
 * The submit → pending → success or errors cycle of every form, so pages only say what they send and
 * what success does. Errors are mapped to fields by `extensions.invalidFields` (see errors.ts).
 */
export function createForm<Data>(options: FormOptions<Data>): Form {
  const state = $state({ pending: false, done: false, error: undefined as ApiError });
  const errors = $derived(fieldErrors(state.error));
  const message = $derived(formMessage(state.error, options.fields));

  async function submit(event?: Event) {
    event?.preventDefault();
    if (state.pending) return;
    state.pending = true;
    state.done = false;
    try {
      const result = await options.send();
      state.error = result.error;
      if (result.data != null && !result.error) {
        await options.onSuccess?.(result.data);
        state.done = true;
      }
    } finally {
      state.pending = false;
    }
  }

  return {
    fields: options.fields,
    get pending() {
      return state.pending;
    },
    get done() {
      return state.done;
    },
    get error() {
      return state.error;
    },
    get errors() {
      return errors;
    },
    get message() {
      return message;
    },
    submit,
    clear() {
      state.done = false;
      state.error = undefined;
    },
  };
}

/** The seconds a RATE_LIMITED answer asks to wait, if it is one. */
function retryAfterSeconds(error: ApiError): number | undefined {
  if (!error || !('graphQLErrors' in error)) return undefined;
  const first = error.graphQLErrors[0]?.extensions;
  return first?.code === 'RATE_LIMITED' ? Number(first.retryAfterSeconds ?? 60) : undefined;
}

// Hourly limits (password resets, verification links) answer waits of up to an hour: said in minutes.
function formMessage(error: ApiError, fields: string[]): string {
  const seconds = retryAfterSeconds(error);
  if (seconds !== undefined && seconds >= 120) {
    return t('form.rateLimitedMinutes', { minutes: Math.ceil(seconds / 60) });
  }
  return errorText(error, fields);
}

export interface Action {
  /** True while a call runs; buttons stay enabled (keeping the keyboard focus) and a second press is ignored. */
  readonly pending: boolean;
  /** The last call's error, until the next call or clear(). */
  readonly error: ApiError;
  /** Runs one call unless one is already running (then resolves undefined); the data on success. */
  run<Data>(send: () => PromiseLike<FormResult<Data>>): Promise<Data | undefined>;
  clear(): void;
}

/**
 * The pending → success or error cycle of a button that is not a form (revoke, pause, redeliver):
 * one call at a time, its error kept for the page to show where it belongs.
 */
export function createAction(): Action {
  const state = $state({ pending: false, error: undefined as ApiError });

  async function run<Data>(send: () => PromiseLike<FormResult<Data>>): Promise<Data | undefined> {
    if (state.pending) return undefined;
    state.pending = true;
    state.error = undefined;
    try {
      const result = await send();
      state.error = result.error;
      return result.error ? undefined : (result.data ?? undefined);
    } finally {
      state.pending = false;
    }
  }

  return {
    get pending() {
      return state.pending;
    },
    get error() {
      return state.error;
    },
    run,
    clear() {
      state.error = undefined;
    },
  };
}
