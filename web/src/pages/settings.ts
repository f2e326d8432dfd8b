import { call, isAdmin } from '../api.js';
import { h, replace, timeElement, uid } from '../dom.js';
import { busy, errorBox } from './shared.js';

interface RotationSettings {
  rotationPeriodDays: number;
  reminderIntervalDays: number;
  updatedAt: string | null;
  updatedBy: string | null;
}

/** The account's rotation policy: everyone reads it, admins change it. */
export async function settingsPage(main: HTMLElement) {
  replace(main, h('h1', {}, 'Rotation settings'), h('p', {}, 'Loading…'));
  let settings: RotationSettings;
  try {
    settings = await call<RotationSettings>('GET', '/settings/rotation');
  } catch (error) {
    replace(
      main,
      h('h1', {}, 'Rotation settings'),
      errorBox(error, () => void settingsPage(main)),
    );
    return;
  }
  const periodId = uid('period');
  const intervalId = uid('interval');
  const status = h('div', { role: 'status', 'aria-live': 'polite' });
  const editable = isAdmin();
  const number = (id: string, name: string, value: number, min: number, max: number) =>
    h('input', {
      id,
      name,
      type: 'number',
      min,
      max,
      step: 1,
      value,
      required: true,
      readonly: !editable,
      inputmode: 'numeric',
    });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const form = h(
    'form',
    {
      novalidate: true,
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const values = new FormData(event.target as HTMLFormElement);
        const body = {
          rotationPeriodDays: Number(values.get('rotationPeriodDays')),
          reminderIntervalDays: Number(values.get('reminderIntervalDays')),
        };
        const saved = await busy(submit, status, () =>
          call<RotationSettings>('PUT', '/settings/rotation', body),
        );
        if (saved)
          status.replaceChildren(h('p', {}, 'Saved. Every key’s rotation due date follows the new period.'));
      },
    },
    h(
      'div',
      { class: 'field' },
      h('label', { for: periodId }, 'Rotate keys every (days, 1–730)'),
      number(periodId, 'rotationPeriodDays', settings.rotationPeriodDays, 1, 730),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: intervalId }, 'Remind again every (days, 1–90)'),
      number(intervalId, 'reminderIntervalDays', settings.reminderIntervalDays, 1, 90),
    ),
    editable ? submit : h('p', { class: 'muted' }, 'Only an admin can change these.'),
    status,
  );
  replace(
    main,
    h('h1', {}, 'Rotation settings'),
    h(
      'p',
      {},
      'The daily reminder names every key older than the rotation period, and every key about to expire, at most once per reminder interval.',
    ),
    form,
    settings.updatedAt
      ? h('p', { class: 'muted' }, `Last changed by ${settings.updatedBy} `, timeElement(settings.updatedAt))
      : null,
  );
}
