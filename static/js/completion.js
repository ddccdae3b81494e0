// Suggestions in the message box: one list under the caret's line, fed by
// sources (people after "@": static/js/mention_complete.js; emoji after ":":
// static/js/emoji_complete.js). Up and Down choose, Enter or Tab puts the
// choice in the box, Escape closes; a tap or click on one does the same.
// The box (a textarea, so a textbox) controls the list and points at the
// chosen option (aria-activedescendant), so a screen reader follows it.
//
// A source is {label, find(), candidates(found), content(item), insertion(item), key(item)}:
// ``find`` reads what is typed up to the caret ({from, to, typed} or null), ``candidates``
// what to offer for it, ``content`` an option's nodes (text nodes only), ``insertion``
// what replaces the typed part, ``key`` tells items apart.

import {element, ui} from "./dom.js";

const sources = [];
const state = {source: null, shown: [], active: 0, from: 0, to: 0};

export const completing = () => state.shown.length > 0;

export function addSource(source) {
  sources.push(source);
}

// What the caret follows, offered by the first source that reads it.
function update() {
  if (ui.text.selectionStart !== ui.text.selectionEnd) return close();
  for (const source of sources) {
    const found = source.find();
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
  if (document.activeElement === ui.text) update();
}

function draw() {
  const list = ui.completionList;
  if (!state.shown.length) return close();
  list.setAttribute("aria-label", state.source.label);
  list.dataset.source = state.source.name;
  list.replaceChildren(
    ...state.shown.map((item, index) => {
      const option = element("li", "completion-option");
      option.id = `completion-option-${index}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", String(index === state.active));
      option.append(...state.source.content(item));
      option.addEventListener("click", () => choose(index));
      return option;
    }),
  );
  list.hidden = false;
  ui.text.setAttribute("aria-activedescendant", `completion-option-${state.active}`);
}

export function close() {
  state.shown = [];
  state.source = null;
  ui.completionList.hidden = true;
  ui.completionList.replaceChildren();
  ui.text.removeAttribute("aria-activedescendant");
}

// The choice replaces what was typed for it, with a space after (unless one follows already).
function choose(index) {
  const item = state.shown[index];
  if (item === undefined) return;
  const box = ui.text;
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

export function wireCompletion() {
  const box = ui.text;
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", ui.completionList.id);
  ui.composer.addEventListener("keydown", (event) => event.target === box && onKey(event), {capture: true});
  box.addEventListener("input", update);
  box.addEventListener("click", update);
  box.addEventListener("keyup", (event) => (event.key === "ArrowLeft" || event.key === "ArrowRight") && update());
  box.addEventListener("blur", close);
  // A press on an option keeps the focus in the box (the click then chooses it).
  ui.completionList.addEventListener("mousedown", (event) => event.preventDefault());
}
