// A very small view layer: h() builds elements, no HTML strings (so no
// injection and no inline handlers: listeners are attached from script).

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value' || k === 'checked' || k === 'selected') el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

// replace, keeping what the user has typed into the fields of forms with
// an id (matched by form id and field name) and the focus among them: a
// live update redraws a box without losing a half-written text.
export function replaceKeepingInput(el, ...children) {
  const key = (f) => `${f.form?.id || ''}\u0000${f.name}`;
  const typed = new Map();
  let focus = null;
  for (const f of el.querySelectorAll('form[id] [name]')) {
    if (f.value !== f.defaultValue) typed.set(key(f), f.value);
    if (f === document.activeElement) focus = key(f);
  }
  replace(el, ...children);
  for (const f of el.querySelectorAll('form[id] [name]')) {
    if (typed.has(key(f))) f.value = typed.get(key(f));
    if (key(f) === focus) f.focus();
  }
  return el;
}

let idSeq = 0;
export const uid = (p = 'f') => `${p}${++idSeq}`;

// A labelled form field. type 'textarea' / 'select' (options: [[value, label]]).
export function field(label, { name, type = 'text', value, required, options, hint, ...rest } = {}) {
  const id = uid('in');
  let input;
  if (type === 'textarea') input = h('textarea', { id, name, required, ...rest }, value ?? '');
  else if (type === 'select') {
    input = h('select', { id, name, required, ...rest },
      (options || []).map(([v, l]) => h('option', { value: v, selected: String(v) === String(value ?? '') }, l)));
  } else input = h('input', { id, name, type, value, required, ...rest });
  const hintId = hint ? uid('hint') : null;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint && h('small', { id: hintId, class: 'hint' }, hint));
}

// A group of checkboxes or radios in a fieldset with a legend.
export function choices(legend, { name, type = 'checkbox', options, selected = [] }) {
  const sel = new Set((Array.isArray(selected) ? selected : [selected]).map(String));
  return h('fieldset', { class: 'choices' }, h('legend', null, legend),
    options.map(([v, l]) => {
      const id = uid('ch');
      return h('div', { class: 'choice' },
        h('input', { type, id, name, value: v, checked: sel.has(String(v)) }), h('label', { for: id }, l));
    }));
}

export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === 'checkbox') {
      if (!Array.isArray(out[el.name])) out[el.name] = [];
      if (el.checked) out[el.name].push(el.value);
    } else if (el.type === 'radio') {
      if (el.checked) out[el.name] = el.value;
    } else out[el.name] = el.value;
  }
  return out;
}

// Brings list's children in line with items, keyed: an item whose
// signature did not change keeps its element (and so keyboard focus and
// any half-typed inline form in it); changed ones are rendered anew.
export function patchList(list, items, { key, sig = (it) => JSON.stringify(it), render, empty }) {
  const old = new Map();
  for (const el of list.children) if (el.dataset.key) old.set(el.dataset.key, el);
  const next = items.map((it) => {
    const k = String(key(it));
    const s = sig(it);
    const prev = old.get(k);
    if (prev && prev.linliSig === s) return prev;
    const el = render(it);
    el.dataset.key = k;
    el.linliSig = s;
    return el;
  });
  if (!next.length && empty) next.push(empty());
  let cursor = list.firstChild;
  for (const el of next) {
    if (el === cursor) { cursor = cursor.nextSibling; continue; }
    list.insertBefore(el, cursor);
  }
  while (cursor) { const n = cursor.nextSibling; cursor.remove(); cursor = n; }
}
