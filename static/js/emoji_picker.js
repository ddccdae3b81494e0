// The emoji picker: a panel of emoji by group, with a search box by name,
// anchored to the button that opened it (a sheet at the bottom of a phone's
// screen). Keyboard: the arrows move in the grid, Enter picks, Tab out closes, Escape closes
// and gives the focus back. ``openEmojiPicker(anchor, onPick)`` is all a
// caller needs (the composer, and reactions: placed by their message). The
// server's custom emoji come first, as "Custom" (picked as ``:name:``), where
// the caller takes them; people with an account find "Add emoji…" there.

import {customEmoji, customEmojiImage} from "./custom_emoji.js";
import {element} from "./dom.js";
import {openAddEmoji} from "./emoji_add.js";
import {session} from "./session.js";
import {EMOJI_GROUPS} from "./emoji_data.js";
import {SHORTCODES} from "./emoji_shortcodes.js";

const COLUMNS = 8;
const MAX_FOUND = 160;
const SHEET_BELOW_PX = 600; // narrower than this: a sheet along the bottom
const GAP_PX = 6;

let current = null; // {panel, anchor, close}

export const pickerOpen = () => current !== null;

export function closeEmojiPicker() {
  if (current) current.close();
}

// Opens the picker by ``anchor`` (or by ``near``, when given); ``onPick(emoji)`` when one is
// chosen (the picker then closes). The focus goes back to ``anchor`` when it closes. ``within``: where the
// panel goes (a modal dialog's own, else the page behind it is inert).
// ``custom``: whether the server's custom emoji may be picked (a status takes none).
export function openEmojiPicker(
  anchor,
  onPick,
  {label = "Choose an emoji", near = anchor, within = document.body, custom = true} = {},
) {
  closeEmojiPicker();
  const panel = element("div", "emoji-picker");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", label);
  const search = element("input", "emoji-search");
  Object.assign(search, {type: "search", placeholder: "Search emoji", spellcheck: false, autocomplete: "off"});
  search.setAttribute("aria-label", "Search emoji by name");
  const tabs = element("div", "emoji-tabs");
  const body = element("div", "emoji-body");
  panel.append(search, tabs, body);

  const pick = (emoji) => {
    close();
    onPick(emoji);
  };
  const mine = custom ? customGroup() : null;
  const groups = mine ? [mine, ...EMOJI_GROUPS] : EMOJI_GROUPS;
  const showAll = () => body.replaceChildren(...groups.map((group, index) => groupSection(group, index, pick)));
  tabs.append(...groups.map((group, index) => groupTab(group, index, body, search, showAll)));
  showAll();
  if (custom && session.isAccount) panel.append(addButton(() => close()));

  search.addEventListener("input", () => {
    const query = search.value.trim().toLowerCase().replaceAll(":", ""); // ":tada:" as "tada"
    if (!query) return showAll();
    body.replaceChildren(foundSection(query, pick, mine ? mine.emoji : []));
  });
  panel.addEventListener("keydown", (event) => onKey(event, panel, search));
  const outside = (event) => {
    if (!panel.contains(event.target) && !anchor.contains(event.target)) close();
  };
  const place = () => position(panel, near);

  // ``refocus``: the focus, lost with the panel, goes back to the anchor (not when it is on its way elsewhere).
  function close({refocus = true} = {}) {
    if (current === null || current.panel !== panel) return;
    current = null;
    document.removeEventListener("pointerdown", outside, true);
    window.removeEventListener("resize", place);
    panel.remove();
    anchor.setAttribute("aria-expanded", "false");
    if (refocus && (document.activeElement === document.body || !document.activeElement)) anchor.focus();
  }
  // Tabbing out of the panel closes it, as a click outside does: it does not stay open behind the focus.
  panel.addEventListener("focusout", (event) => {
    const to = event.relatedTarget;
    if (to && !panel.contains(to) && !anchor.contains(to)) close({refocus: false});
  });
  current = {panel, anchor, close};
  within.append(panel);
  anchor.setAttribute("aria-expanded", "true");
  place();
  document.addEventListener("pointerdown", outside, true);
  window.addEventListener("resize", place);
  // On a phone, focusing the search box would bring up the keyboard over the emoji.
  if (panel.classList.contains("sheet")) {
    panel.tabIndex = -1;
    panel.focus();
  } else search.focus();
  return close;
}

// The server's custom emoji as a group of the picker: each ``[":name:", "name"]``; null when there are none.
function customGroup() {
  const entries = customEmoji().map((entry) => [`:${entry.name}:`, entry.name]);
  return entries.length ? {name: "Custom", emoji: entries, custom: true} : null;
}

function addButton(closePicker) {
  const button = element("button", "emoji-add link-button", "Add emoji…");
  button.type = "button";
  button.addEventListener("click", () => {
    closePicker();
    openAddEmoji();
  });
  return button;
}

function emojiButton([emoji, name], pick) {
  const custom = emoji.startsWith(":") && emoji.length > 2;
  const button = element("button", custom ? "emoji custom" : "emoji", custom ? undefined : emoji);
  if (custom) button.append(customEmojiImage(name, "custom-emoji picked"));
  button.type = "button";
  button.tabIndex = -1;
  button.title = custom ? emoji : name;
  button.setAttribute("aria-label", custom ? emoji : name);
  button.addEventListener("click", () => pick(emoji));
  return button;
}

function grid(entries, pick, labelledBy) {
  const cells = element("div", "emoji-grid");
  cells.setAttribute("role", "group");
  cells.setAttribute("aria-labelledby", labelledBy);
  cells.append(...entries.map((entry) => emojiButton(entry, pick)));
  return cells;
}

function groupSection(group, index, pick) {
  const section = element("section", "emoji-group");
  const heading = element("h3", "emoji-group-name", group.name);
  heading.id = `emoji-group-${index}`;
  section.append(heading, grid(group.emoji, pick, heading.id));
  return section;
}

// Those with a short name that starts with the query first (the exact one ahead), then those
// whose name holds it.
function foundSection(query, pick, customEntries) {
  const all = EMOJI_GROUPS.flatMap((group) => group.emoji);
  const customFound = customEntries.filter(([, name]) => name.includes(query));
  customFound.sort(([, a], [, b]) => Number(b.startsWith(query)) - Number(a.startsWith(query)));
  const codes = Object.keys(SHORTCODES).filter((code) => code.startsWith(query));
  codes.sort((a, b) => Number(b === query) - Number(a === query));
  const coded = new Set(codes.map((code) => SHORTCODES[code]));
  const byEmoji = new Map(all.map((entry) => [entry[0], entry]));
  const named = all.filter(([emoji, name]) => !coded.has(emoji) && name.includes(query));
  const found = [...customFound, ...[...coded].map((emoji) => byEmoji.get(emoji)), ...named].slice(0, MAX_FOUND);
  const section = element("section", "emoji-group");
  const heading = element("h3", "emoji-group-name", found.length ? "Found" : "No emoji by that name");
  heading.id = "emoji-found";
  section.setAttribute("aria-live", "polite");
  section.append(heading, grid(found, pick, heading.id));
  return section;
}

function groupTab(group, index, body, search, showAll) {
  const tab = element("button", "emoji-tab", group.custom ? undefined : group.emoji[0][0]);
  if (group.custom) tab.append(customEmojiImage(group.emoji[0][1], "custom-emoji picked"));
  tab.type = "button";
  tab.title = group.name;
  tab.setAttribute("aria-label", group.name);
  tab.addEventListener("click", () => {
    if (search.value) {
      search.value = "";
      showAll();
    }
    const heading = body.querySelector(`#emoji-group-${index}`);
    body.scrollTop = heading.offsetTop - body.offsetTop;
    const first = heading.nextElementSibling.firstElementChild;
    if (first) first.focus();
  });
  return tab;
}

// --- keyboard -----------------------------------------------------------------------

const MOVES = {ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS};

function onKey(event, panel, search) {
  if (event.key === "Escape") {
    event.preventDefault();
    event.stopPropagation();
    const {anchor, close} = current;
    close();
    anchor.focus();
    return;
  }
  if (!(event.key in MOVES)) return;
  const cells = [...panel.querySelectorAll(".emoji-body .emoji")];
  if (!cells.length) return;
  if (event.target === search) {
    if (event.key !== "ArrowDown") return;
    event.preventDefault();
    return cells[0].focus();
  }
  const at = cells.indexOf(event.target);
  if (at === -1) return;
  event.preventDefault();
  const next = at + MOVES[event.key];
  if (next < 0) return search.focus();
  cells[Math.min(next, cells.length - 1)].focus();
}

// --- placing ----------------------------------------------------------------------------

// Above the anchor when there is room, else below; inside the window; a sheet on a phone.
function position(panel, anchor) {
  const sheet = window.innerWidth < SHEET_BELOW_PX;
  panel.classList.toggle("sheet", sheet);
  if (sheet) return Object.assign(panel.style, {left: "", top: ""});
  const box = anchor.getBoundingClientRect();
  const width = panel.offsetWidth;
  const height = panel.offsetHeight;
  const left = Math.max(GAP_PX, Math.min(box.right - width, window.innerWidth - width - GAP_PX));
  const above = box.top - height - GAP_PX;
  const top = above >= GAP_PX ? above : Math.min(box.bottom + GAP_PX, window.innerHeight - height - GAP_PX);
  Object.assign(panel.style, {left: `${left}px`, top: `${Math.max(GAP_PX, top)}px`});
}
