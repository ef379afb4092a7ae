import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { initialLang, useLanguage } from './lib/i18n/index.svelte';
import { startRouter } from './lib/router.svelte';

startRouter();
// The reader's messages arrive before the first render; if French cannot be fetched, English is tried.
const target = document.getElementById('app')!;
void useLanguage(initialLang())
  .catch(() => useLanguage('en'))
  .catch(() => undefined)
  .then(() => mount(App, { target }));
