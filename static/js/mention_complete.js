// Mentions in the message box: typing "@" and the start of a name offers the
// room's people (static/js/roster.js) in a list under the caret's line: who is
// online and the accounts of that name first, then names only remembered from
// messages, and not those no account has any more (a rename's old name). Up
// and Down choose, Enter or Tab puts "@Name " in the box, Escape closes; a
// tap or click on a name does the same. The box (a textarea, so a textbox)
// controls the list and points at the chosen name (aria-activedescendant),
// so a screen reader follows the choice.

import {element, ui} from "./dom.js";
import {nickKey} from "./protocol.js";
import {isHere} from "./people.js";
import {accountsStarting, knownNames, loadMembers, lookUpAccounts} from "./roster.js";
import {isOwn} from "./session.js";

const MAX_SHOWN = 8;
const LOOK_BACK = 40; // a name has at most 32 characters
// "@" where a mention may start (static/js/mentions.js), then what is typed of the name, up to the caret.
const TYPED = /(?:^|[^\p{L}\p{N}\p{M}_.\-@/])@([\p{L}\p{N}\p{M}_. -]{0,33})$/u;

const state = {shown: [], active: 0, from: 0, to: 0};

export const completing = () => state.shown.length > 0;

// How sure the page is that a name is someone's now: online or an account (0), only
// remembered (1), or no account's any more (2: an answer naming every account so called lacks it).
function standing(name, typed) {
  const key = nickKey(name);
  const accounts = accountsStarting(typed);
  if (isHere(name) || (accounts && accounts.keys.has(key))) return 0;
  return accounts && accounts.complete && key.startsWith(nickKey(typed)) ? 2 : 1;
}

// The names that start with ``typed``, or whose later word does; oneself never; current names first.
export function candidates(typed, names) {
  const key = nickKey(typed);
  const found = [];
  for (const name of names) {
    if (isOwn(name)) continue;
    const nameKey = nickKey(name);
    const starts = nameKey.startsWith(key);
    if (!starts && !nameKey.split(" ").some((word) => word.startsWith(key))) continue;
    const rank = standing(name, typed);
    if (rank < 2) found.push({name, nameKey, order: rank * 2 + (starts ? 0 : 1)});
  }
  found.sort((a, b) => a.order - b.order || (a.nameKey < b.nameKey ? -1 : a.nameKey > b.nameKey ? 1 : 0));
  return found.slice(0, MAX_SHOWN).map((candidate) => candidate.name);
}

function typedMention() {
  const box = ui.text;
  if (box.selectionStart !== box.selectionEnd) return null;
  const to = box.selectionStart;
  const before = box.value.slice(Math.max(0, to - LOOK_BACK), to);
  const match = before.match(TYPED);
  // Names have single spaces inside: a space first, last or twice is past the name.
  if (!match || /^ | $|  /.test(match[1])) return null;
  return {typed: match[1], from: to - match[1].length - 1, to};
}

function update() {
  const found = typedMention();
  if (!found) return close();
  loadMembers().then((loaded) => loaded && refresh());
  lookUpAccounts(found.typed).then((answered) => answered && refresh());
  const shown = candidates(found.typed, knownNames());
  const same = shown.length === state.shown.length && shown.every((name, i) => name === state.shown[i]);
  Object.assign(state, {from: found.from, to: found.to});
  if (!same) state.active = 0;
  state.shown = shown;
  draw();
}

function refresh() {
  if (document.activeElement === ui.text) update();
}

function draw() {
  const list = ui.mentionList;
  if (!state.shown.length) return close();
  list.replaceChildren(
    ...state.shown.map((name, index) => {
      const option = element("li", "mention-option");
      option.id = `mention-option-${index}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", String(index === state.active));
      option.append(element("bdi", "", name));
      option.addEventListener("click", () => choose(index));
      return option;
    }),
  );
  list.hidden = false;
  ui.text.setAttribute("aria-activedescendant", `mention-option-${state.active}`);
}

export function close() {
  state.shown = [];
  ui.mentionList.hidden = true;
  ui.mentionList.replaceChildren();
  ui.text.removeAttribute("aria-activedescendant");
}

function choose(index) {
  const name = state.shown[index];
  if (name === undefined) return;
  const box = ui.text;
  const after = box.value.slice(state.to);
  const insert = `@${name}` + (after.startsWith(" ") ? "" : " ");
  box.setRangeText(insert, state.from, state.to, "end");
  if (after.startsWith(" ")) box.selectionStart = box.selectionEnd = state.from + insert.length + 1;
  close();
  box.focus();
  box.dispatchEvent(new Event("input", {bubbles: true}));
}

// Runs before the box's own keys (Enter sends): while the list is open, they choose.
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

export function wireMentionCompletion() {
  const box = ui.text;
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", ui.mentionList.id);
  ui.composer.addEventListener("keydown", (event) => event.target === box && onKey(event), {capture: true});
  box.addEventListener("input", update);
  box.addEventListener("click", update);
  box.addEventListener("keyup", (event) => (event.key === "ArrowLeft" || event.key === "ArrowRight") && update());
  box.addEventListener("blur", close);
  // A press on a name keeps the focus in the box (the click then chooses it).
  ui.mentionList.addEventListener("mousedown", (event) => event.preventDefault());
}
