// Small DOM helpers. Every string from the server goes into the page through text nodes or
// attributes set with the DOM API, never through innerHTML, so names like
// "<script>alert(1)</script>" show as text.

/**
 * Create an element.
 *
 * props: "class" (className), "text" (textContent), "dataset" (object), "style" (object),
 * "on<event>" (a listener function; never a string), "value" / "checked" / "disabled" / "hidden" (properties); anything
 * else is set with setAttribute (true → "", false / null / undefined → left out).
 * children: nodes, strings and numbers (as text nodes), arrays of those, null / false (skipped).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name === 'text') el.textContent = String(value);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'style') Object.assign(el.style, value);
    else if (name.startsWith('on')) {
      if (typeof value !== 'function') throw new TypeError(`h: ${name} must be a function`);
      el.addEventListener(name.slice(2), value);
    } else if (name === 'value' || name === 'checked' || name === 'disabled'
               || name === 'hidden' || name === 'selected') {
      el[name] = value;
    } else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Append children (nodes, strings, numbers, nested arrays; null / false skipped). */
export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
  return el;
}

/** Remove every child of el, then append children. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Show a short message in the corner for a few seconds. kind: "info" | "error". */
export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  if (!box) return;
  const item = h('div', {class: `toast toast-${kind}`, 'data-testid': `toast-${kind}`,
                         text: message});
  box.appendChild(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 3500);
}
