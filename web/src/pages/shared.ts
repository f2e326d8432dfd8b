import { ApiError } from '../api.js';
import { h } from '../dom.js';

/** A failed call shown in words, with a retry button when the API says a retry is safe. */
export function errorBox(error: unknown, retry?: () => void): HTMLElement {
  const message =
    error instanceof ApiError
      ? error.message
      : error instanceof Error
        ? error.message
        : 'Something went wrong.';
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('p', {}, message),
    error instanceof ApiError && error.retryable && retry
      ? h('button', { type: 'button', class: 'secondary', onclick: retry }, 'Try again')
      : null,
  );
}

/** Runs a call for a button: disabled while it runs, the error shown in `where`. */
export async function busy<T>(
  button: HTMLButtonElement,
  where: Element,
  run: () => Promise<T>,
): Promise<T | undefined> {
  button.disabled = true;
  where.replaceChildren();
  try {
    return await run();
  } catch (error) {
    where.append(errorBox(error, () => void busy(button, where, run)));
    return undefined;
  } finally {
    button.disabled = false;
  }
}

export function pager(options: { previous?: () => void; next?: () => void }): HTMLElement {
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        disabled: !options.previous,
        onclick: () => options.previous?.(),
      },
      'Previous',
    ),
    h(
      'button',
      { type: 'button', class: 'secondary', disabled: !options.next, onclick: () => options.next?.() },
      'Next',
    ),
  );
}
