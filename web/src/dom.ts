/** A tiny element builder: the whole of the dashboard's "framework". Text is always set as text. */
type Child = Node | string | false | null | undefined;
type Props = Record<string, string | boolean | number | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === false || child === null || child === undefined) continue;
    element.append(child);
  }
  return element;
}

export function replace(target: Element, ...children: (Child | Child[])[]) {
  target.replaceChildren(...children.flat().filter((c): c is Node | string => Boolean(c)));
}

let ids = 0;
export const uid = (prefix: string) => `${prefix}-${++ids}`;

/** "3 days ago", "in 5 hours": times as people read them, the exact one in the title. */
export function relative(iso: string | null, now = Date.now()): string {
  if (!iso) return '—';
  const diff = Date.parse(iso) - now;
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
  ];
  const format = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  for (const [unit, ms] of units) {
    if (Math.abs(diff) >= ms) return format.format(Math.round(diff / ms), unit);
  }
  return diff >= 0 ? 'in a moment' : 'just now';
}

export function timeElement(iso: string | null): HTMLElement {
  if (!iso) return h('span', {}, '—');
  return h('time', { datetime: iso, title: new Date(iso).toLocaleString() }, relative(iso));
}
