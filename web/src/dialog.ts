import { h, uid } from './dom.js';

/**
 * Modal dialogs on the native <dialog>: the rest of the page is inert while one is open, focus stays
 * inside, and it is labelled by its heading. A dialog that holds a secret cannot be dismissed (no
 * Escape, no click outside) until its one button is pressed; then it is removed from the DOM.
 */
function open(
  content: (close: () => void) => { title: string; body: Node[]; dismissable: boolean },
): Promise<void> {
  return new Promise((resolve) => {
    const titleId = uid('dialog-title');
    const dialog = h('dialog', { 'aria-labelledby': titleId, 'aria-modal': 'true' });
    const close = () => {
      dialog.close();
      dialog.replaceChildren();
      dialog.remove();
      resolve();
    };
    const { title, body, dismissable } = content(close);
    if (!dismissable) dialog.setAttribute('closedby', 'none');
    dialog.addEventListener('cancel', (event) => {
      if (!dismissable) event.preventDefault();
      else {
        event.preventDefault();
        close();
      }
    });
    dialog.append(h('h2', { id: titleId }, title), ...body);
    // The page behind is inert; this keeps Tab from leaving for the browser's own controls too.
    dialog.addEventListener('keydown', (event) => {
      if (event.key !== 'Tab') return;
      const focusable = [...dialog.querySelectorAll<HTMLElement>('button, input, select, a[href]')].filter(
        (element) => !element.hasAttribute('disabled'),
      );
      const first = focusable[0];
      const last = focusable.at(-1);
      if (!first || !last) return;
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    const first = dialog.querySelector<HTMLElement>('[autofocus], button, input, select');
    first?.focus();
  });
}

/** Asks; resolves true when the person confirms. */
export function confirmDialog(options: {
  title: string;
  text: string;
  confirm: string;
  danger?: boolean;
  extra?: Node;
}): Promise<boolean> {
  let answer = false;
  return open((close) => ({
    title: options.title,
    dismissable: true,
    body: [
      h('p', {}, options.text),
      ...(options.extra ? [options.extra] : []),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => close() }, 'Cancel'),
        h(
          'button',
          {
            type: 'button',
            class: options.danger ? 'danger' : 'primary',
            onclick: () => {
              answer = true;
              close();
            },
          },
          options.confirm,
        ),
      ),
    ],
  })).then(() => answer);
}

/** Tells something that needs no choice (an error, "Key no longer viewable"). */
export function messageDialog(title: string, text: string): Promise<void> {
  return open((close) => ({
    title,
    dismissable: true,
    body: [
      h('p', {}, text),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: close }, 'OK')),
    ],
  }));
}

/**
 * The show-once dialog. The secret is passed in, shown in a read-only field with a copy button, and
 * dropped with the dialog: nothing else in the app keeps it, and no storage, URL, title or log sees it.
 */
export function secretDialog(keyName: string, secret: { value: string }): Promise<void> {
  return open((close) => {
    const fieldId = uid('secret');
    const field = h('input', {
      id: fieldId,
      class: 'secret',
      readonly: true,
      spellcheck: 'false',
      autocomplete: 'off',
      value: secret.value,
    });
    const status = h('p', { class: 'copied', role: 'status', 'aria-live': 'polite' });
    const done = () => {
      field.value = '';
      secret.value = '';
      close();
    };
    return {
      title: `Shared secret key: ${keyName}`,
      dismissable: false,
      body: [
        h('label', { for: fieldId }, 'Secret'),
        h(
          'div',
          { class: 'copy-row' },
          field,
          h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: async () => {
                try {
                  await navigator.clipboard.writeText(field.value);
                  status.textContent = 'Copied to the clipboard.';
                } catch {
                  field.select();
                  status.textContent = 'Select the secret and copy it (Ctrl+C or ⌘C).';
                }
              },
            },
            'Copy',
          ),
        ),
        status,
        h(
          'p',
          { class: 'warning', role: 'alert' },
          '⚠️ Important: This is the only time you will see this key. Copy it to a secure location now. It cannot be recovered later.',
        ),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', class: 'primary', onclick: done }, "I've copied the key"),
        ),
      ],
    };
  });
}
