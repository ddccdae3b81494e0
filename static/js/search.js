// Searching messages: the search dialog, GET /api/search, and results as
// links that open the room at the message (a permalink, ``?room=R#m-ID``).
// Snippets are built from text nodes and <mark> elements: never markup. A
// result names its room as the rooms list does (a direct room by the other
// people in it), and shows the file a message carries: a file sent without
// a caption is found by its name, with an empty snippet.

import {apiCall, failure, roomUrl} from "./api.js";
import {hideEntryIfBlocked} from "./blocks.js";
import {element, nickElement, timeElement} from "./dom.js";
import {fileLabel, fileOf, humanSize} from "./file_view.js";
import {jumpTo} from "./permalink.js";
import {openThread, threadHash} from "./thread.js";
import {roomEntry, roomLabel} from "./rooms.js";
import {anyFilter, filterParams, filterProblem, showFilters, wireFilters} from "./search_filters.js";
import {session} from "./session.js";

const $ = (id) => document.getElementById(id);
const state = {params: null, next: null};

function snippetElement(parts) {
  const text = element("span", "search-snippet");
  for (const part of parts) {
    text.append(part.hit ? element("mark", "", part.text) : document.createTextNode(part.text));
  }
  return text;
}

// The file a result's message carries: its name (what a caption-less file is
// found by; the answer does not say which part of it matched) and its size.
function fileElement(file) {
  const line = element("span", "search-file");
  line.append(element("bdi", "search-file-name", fileLabel(file.name)), element("span", "hint", humanSize(file.size)));
  return line;
}

// ``entry``: the room's entry in the rooms list ({room} alone when the server did not give it).
function resultItem(found, entry) {
  const link = element("a", "search-result");
  const inThread = typeof found.thread === "number";
  // A thread reply is not in the timeline: its link opens its thread.
  link.href = `${roomUrl(found.room)}#${inThread ? threadHash(found.thread, found.id) : `m-${found.id}`}`;
  const where = element("span", "search-where");
  where.append(element("bdi", "search-room", roomLabel(entry)), nickElement(found.nick), timeElement(found.ts));
  link.append(where);
  const file = fileOf(found);
  if (file) link.append(fileElement(file));
  const parts = Array.isArray(found.snippet) ? found.snippet : [];
  if (parts.length || !file) link.append(snippetElement(parts));
  link.addEventListener("click", (event) => {
    if (found.room !== session.room) return; // another room: the link opens it there
    event.preventDefault();
    $("search-dialog").close();
    history.replaceState(null, "", link.href);
    if (inThread) openThread(found.thread, found.id);
    else jumpTo(found.id);
  });
  const item = element("li");
  item.append(link);
  hideEntryIfBlocked(item, found); // a blocked person's words are hidden here as in the room
  return item;
}

// The rooms of these results, each as the rooms list has it (a room beyond the list's page is asked for).
async function entriesOf(results) {
  const rooms = [...new Set(results.map((found) => found.room))];
  const entries = await Promise.all(rooms.map(async (room) => (await roomEntry(room)) || {room}));
  return new Map(entries.map((entry) => [entry.room, entry]));
}

// What the search found, in words (a live region: a screen reader hears it when results arrive).
function resultsNote(shown, more, filtered) {
  if (shown === 0) return `No message holds those words${filtered ? " with these filters" : ""}.`;
  const messages = shown === 1 ? "1 message" : `${shown} messages`;
  return more ? `${messages} shown; "More results" below brings older ones.` : `${messages} found.`;
}

async function fetchPage(append) {
  const params = new URLSearchParams(state.params);
  if (append && state.next) params.set("cursor", state.next);
  const answer = await apiCall("GET", `/api/search?${params}`);
  const results = answer.ok ? answer.body.results : [];
  const entries = await entriesOf(results);
  const list = $("search-results");
  if (!append) list.replaceChildren();
  $("search-error").textContent = answer.ok ? "" : failure(answer);
  $("search-note").textContent = "";
  if (!answer.ok) return void ($("search-more").hidden = true);
  for (const found of results) list.append(resultItem(found, entries.get(found.room)));
  state.next = answer.body.next;
  const filtered = Object.keys(state.params).length > 1;
  $("search-note").textContent = resultsNote(list.children.length, state.next, filtered);
  $("search-more").hidden = !state.next;
}

// Why the dialog as filled in cannot search: {message, field} (the field to mend), or null. The
// server searches words, which filters only narrow: filters alone are explained here, not refused.
function searchProblem() {
  if (!$("search-q").value.trim()) {
    const message = anyFilter()
      ? "Type a word to look for as well: the filters narrow what the words find, and cannot search alone."
      : "Type a word to look for.";
    return {message, field: "search-q"};
  }
  return filterProblem();
}

export function wireSearch() {
  const dialog = $("search-dialog");
  $("search-open").addEventListener("click", () => {
    dialog.showModal();
    $("search-q").select();
  });
  for (const button of dialog.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => dialog.close());
  }
  $("search-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const problem = searchProblem();
    $("search-error").textContent = problem ? problem.message : "";
    if (problem) return void $(problem.field).focus();
    state.params = {q: $("search-q").value.trim(), ...(await filterParams())};
    showFilters(state.params, () => $("search-form").requestSubmit());
    fetchPage(false);
  });
  $("search-more").addEventListener("click", () => fetchPage(true));
  wireFilters();
}
