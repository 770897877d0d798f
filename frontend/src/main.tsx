import { render } from 'preact';
import { App } from './app';
import { captureRef, getState } from './store';
import { startQueueSync } from './offline';
import './styles.css';

captureRef();
document.documentElement.lang = getState().locale;
render(<App />, document.getElementById('app')!);
startQueueSync();

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch(() => {});
  });
}
