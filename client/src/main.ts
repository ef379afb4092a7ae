import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { initialLang, useLanguage } from './lib/i18n/index.svelte';
import { startRouter } from './lib/router.svelte';

startRouter();
// A French reader's messages arrive before the first render (no English flash); if they cannot be
// fetched, the app still starts, in English.
void useLanguage(initialLang())
  .catch(() => undefined)
  .then(() => mount(App, { target: document.getElementById('app')! }));
