type Child = Node | string | false | null | undefined;
type Attributes = Record<string, string | number | boolean | undefined>;

/**
 * Creates an element. Text is always a text node (never parsed as HTML), so product names and
 * problem details from the API cannot inject markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    element.append(child);
  }
  return element;
}

/** Replaces the page's content and moves focus to its heading, as a page load would for a screen reader. */
export function showPage(title: string, ...content: Node[]): void {
  const main = document.getElementById('main') as HTMLElement;
  const heading = h('h1', { tabindex: -1 }, title);
  main.replaceChildren(heading, ...content);
  document.title = `${title} · Mesh shop`;
  heading.focus();
}

/** Replaces what follows the page's heading, keeping focus where it is (for live updates). */
export function updatePage(...content: Node[]): void {
  const main = document.getElementById('main') as HTMLElement;
  const heading = main.querySelector('h1');
  main.replaceChildren(...(heading ? [heading] : []), ...content);
}

/** An alert a screen reader announces at once; `kind` picks its colours. */
export function notice(kind: 'error' | 'info' | 'success', ...content: Child[]): HTMLElement {
  return h(
    'div',
    { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    ...content,
  );
}

const euros = new Intl.NumberFormat('en-IE', { style: 'currency', currency: 'EUR' });

export function money(cents: number): string {
  return euros.format(cents / 100);
}
