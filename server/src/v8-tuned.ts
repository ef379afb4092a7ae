import { tuneV8 } from './v8-tuning';

// Imported first by main.ts: the service's V8 settings hold before any of its code runs.
tuneV8();
