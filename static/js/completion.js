// Suggestions in the message box and a thread's reply box: a list above the
// box, fed by sources (people after "@": static/js/mention_complete.js; emoji
// after ":": static/js/emoji_complete.js; commands after "/":
// static/js/slash_commands.js). Up and Down choose, Enter or Tab puts the
// choice in the box, Escape closes; a tap or click on one does the same.
// The box (a textarea, so a textbox) controls its list and points at the
// chosen option (aria-activedescendant), so a screen reader follows it.
//
// A source is {label, find(box), candidates(found), content(item), insertion(item), key(item)}:
// ``find`` reads what is typed in the box up to the caret ({from, to, typed} or null),
// ``candidates`` what to offer for it, ``content`` an option's nodes (text nodes only),
// ``insertion`` what replaces the typed part, ``key`` tells items apart.

import {element} from "./dom.js";

const sources = [];
// Each box wired, with its list: one box suggests at a time (the one typed in).
const lists = new Map();
const state = {source: null, shown: [], active: 0, from: 0, to: 0, box: null};

export const completing = () => state.shown.length > 0;

export function addSource(source) {
  sources.push(source);
}

// What the caret follows in ``box``, offered by the first source that reads it.
function update(box) {
  if (state.box !== box) close();
  state.box = box;
  if (box.selectionStart !== box.selectionEnd) return close();
  for (const source of sources) {
    const found = source.find(box);
    if (found) return show(source, found);
  }
  close();
}

function show(source, found) {
  const shown = source.candidates(found);
  const keys = (items) => items.map(source.key).join("\n");
  if (source !== state.source || keys(shown) !== keys(state.shown)) state.active = 0;
  Object.assign(state, {source, shown, from: found.from, to: found.to});
  draw();
}

// A source learned more (an answer from the server): the list again, while the box is used.
export function refresh() {
  if (lists.has(document.activeElement)) update(document.activeElement);
}

// An option's id: the list's own, "completion-list" giving "completion-option-0".
const optionId = (list, index) => `${list.id.replace(/-list$/, "")}-option-${index}`;

function draw() {
  const list = lists.get(state.box);
  if (!state.shown.length) return close();
  list.setAttribute("aria-label", state.source.label);
  list.dataset.source = state.source.name;
  list.replaceChildren(
    ...state.shown.map((item, index) => {
      const option = element("li", "completion-option");
      option.id = optionId(list, index);
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", String(index === state.active));
      option.append(...state.source.content(item));
      option.addEventListener("click", () => choose(index));
      return option;
    }),
  );
  list.hidden = false;
  state.box.setAttribute("aria-activedescendant", optionId(list, state.active));
}

export function close() {
  state.shown = [];
  state.source = null;
  if (!state.box) return;
  const list = lists.get(state.box);
  list.hidden = true;
  list.replaceChildren();
  state.box.removeAttribute("aria-activedescendant");
}

// The choice replaces what was typed for it, with a space after (unless one follows already).
function choose(index) {
  const item = state.shown[index];
  if (item === undefined) return;
  const box = state.box;
  const after = box.value.slice(state.to);
  const insert = state.source.insertion(item) + (after.startsWith(" ") ? "" : " ");
  box.setRangeText(insert, state.from, state.to, "end");
  if (after.startsWith(" ")) box.selectionStart = box.selectionEnd = state.from + insert.length + 1;
  close();
  box.focus();
  box.dispatchEvent(new Event("input", {bubbles: true}));
}

// Runs before the box's own keys (Enter sends, Up edits): while the list is open, they choose.
function onKey(event) {
  if (!state.shown.length || event.isComposing) return;
  const moves = {ArrowDown: 1, ArrowUp: -1};
  if (event.key in moves) {
    state.active = (state.active + moves[event.key] + state.shown.length) % state.shown.length;
    draw();
  } else if (event.key === "Enter" || event.key === "Tab") {
    choose(state.active);
  } else if (event.key === "Escape") {
    close();
  } else return;
  event.preventDefault();
  event.stopImmediatePropagation();
}

// Suggestions for ``box`` in ``list``; ``form`` holds the box, whose own keys (Enter sends) come after.
export function wireCompletion(box, list, form) {
  lists.set(box, list);
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", list.id);
  form.addEventListener("keydown", (event) => event.target === box && onKey(event), {capture: true});
  box.addEventListener("input", () => update(box));
  box.addEventListener("click", () => update(box));
  box.addEventListener("keyup", (event) => (event.key === "ArrowLeft" || event.key === "ArrowRight") && update(box));
  box.addEventListener("blur", close);
  // A press on an option keeps the focus in the box (the click then chooses it).
  list.addEventListener("mousedown", (event) => event.preventDefault());
}
