// People one blocked (docs/security.md, "Blocking"). Their messages still
// come to this page, as everyone's in the room do: hiding them is the
// page's, each behind a line that shows it on request, wherever their words
// show (the messages, search results, pinned messages, replies' quotes). "Block" is in a
// message's actions; the list, each with "Unblock", in the account menu.
// Another tab of one's own that blocks or unblocks tells this one (a block frame).

import {apiCall, serverMessage} from "./api.js";
import {announce, element, textNode, ui} from "./dom.js";
import {nickKey} from "./protocol.js";
import {frameTold, keepTold, lookupAsked} from "./told.js";

const $ = (id) => document.getElementById(id);
const shown = {list: $("blocks-list"), none: $("blocks-none"), note: $("blocks-note")};
let names = []; // the blocked people's names, earliest block first
// The nick key of each name they wrote under, former names too (their older messages bear those), and
// whose it is now: a message of a blocked person who was renamed since is hidden as well.
let keys = new Map();
let formerNames = new Map(); // a blocked person's name -> the names they were renamed from

export const isBlocked = (nick) => keys.has(nickKey(nick));

// Where the page shows a blocked person's words: the timeline's messages, an open thread's, the search
// results and the pinned messages (each an item with the author's nick key and guest mark), and replies'
// quotes of them.
const SHOWN_WORDS = "#messages li.msg, #thread-messages li.msg, #search-results > li, #pins-list > li";

// A message by a blocked person (never a guest's, who may not hold an account's name) is hidden.
// ``item``: a message, or an entry of a list that holds one (its data-nick and data-guest as a message's).
export function hideIfBlocked(item) {
  const hide = item.dataset.guest !== "1" && keys.has(item.dataset.nick);
  item.classList.toggle("blocked", hide);
  const note = item.querySelector(":scope > .blocked-note");
  if (hide && !note) item.append(blockedNote(item));
  if (!hide) {
    note?.remove();
    item.classList.remove("revealed");
  }
}

function blockedNote(item) {
  const note = element("div", "blocked-note");
  const show = element("button", "link-button", "show");
  show.type = "button";
  show.addEventListener("click", (event) => {
    event.stopPropagation();
    item.classList.add("revealed");
  });
  note.append(textNode("Message from a person you blocked — "), show);
  return note;
}

// An entry of a list of messages (search results, pins): marked with its author as a message is, and hidden
// the same way when they are blocked. ``found``: the message's frame, as the server answered it.
export function hideEntryIfBlocked(entry, found) {
  entry.dataset.nick = nickKey(String(found.nick));
  if (found.guest === true) entry.dataset.guest = "1";
  hideIfBlocked(entry);
}

// A reply's quote of a blocked person's message says so in place of their name and words; the first press
// shows them (the quote is a button: nothing is put in it that is one too), and the next ones go to the
// message as ever. ``guest``: whether the quoted message is a guest's, when the page knows.
export function hideQuoteIfBlocked(quote, nick, guest = false) {
  quote.dataset.nick = nickKey(nick);
  if (guest) quote.dataset.guest = "1";
  quote.addEventListener("click", revealQuote, {capture: true}); // before the press that goes to it
  markQuote(quote);
}

function markQuote(quote) {
  const hide = quote.dataset.guest !== "1" && keys.has(quote.dataset.nick);
  quote.classList.toggle("blocked", hide);
  const note = quote.querySelector(":scope > .blocked-note");
  if (hide && !note) {
    quote.append(element("span", "blocked-note", "Message from a person you blocked — "));
    quote.lastChild.append(element("span", "link-button", "show"));
  }
  if (!hide) {
    note?.remove();
    quote.classList.remove("revealed");
  }
}

function revealQuote(event) {
  const quote = event.currentTarget;
  if (!quote.classList.contains("blocked") || quote.classList.contains("revealed")) return;
  event.stopImmediatePropagation();
  quote.classList.add("revealed");
}

// ``list``: the blocked people's names; ``former``: the names each was renamed from, where known.
function take(list, former = formerNames) {
  names = list;
  formerNames = new Map(list.map((name) => [name, former.get(name) || []]));
  keys = new Map();
  for (const name of list) for (const written of [name, ...formerNames.get(name)]) keys.set(nickKey(written), name);
  for (const item of document.querySelectorAll(SHOWN_WORDS)) hideIfBlocked(item);
  for (const quote of ui.list.querySelectorAll(".reply-quote[data-nick]")) markQuote(quote);
  showList();
}

// The list as the server has it now (an account's page, when it opens a room).
export async function loadBlocks() {
  const asked = lookupAsked();
  const answer = await apiCall("GET", "/api/me/blocks");
  if (answer.ok && Array.isArray(answer.body.blocks)) takeAnswer(answer.body.blocks, asked);
}

// A list the server answered (``blocks``), but for the people a frame told of since it was asked (told.js,
// ``asked``): blocked or not as the frame left them.
function takeAnswer(blocks, asked) {
  const byKey = (list) => new Map(list.map((entry) => [nickKey(entry.name), entry]));
  const now = byKey(names.map((name) => ({name, former_names: formerNames.get(name) || []})));
  const listed = byKey(blocks.map((entry) => ({...entry, name: String(entry.name)})));
  takeEntries([...keepTold("block", asked, listed, now).values()]);
}

function takeEntries(entries) {
  const former = (entry) => (Array.isArray(entry.former_names) ? entry.former_names.map(String) : []);
  take(
    entries.map((entry) => String(entry.name)),
    new Map(entries.map((entry) => [String(entry.name), former(entry)])),
  );
}

// Another tab of one's own blocked or unblocked someone: at once by the name, then (a block) the list
// again for the names they wrote under before.
export function onBlockFrame(frame) {
  if (typeof frame.name !== "string") return;
  frameTold("block", nickKey(frame.name));
  const others = names.filter((name) => nickKey(name) !== nickKey(frame.name));
  take(frame.blocked === true ? [...others, frame.name] : others);
  if (frame.blocked === true) loadBlocks();
}

// Block or unblock: the answer is the whole list as the server has it then, which a frame from another tab
// may have overtaken on its way.
async function change(method, name) {
  const asked = lookupAsked();
  const answer = await apiCall(method, `/api/me/blocks/${encodeURIComponent(name)}`);
  if (!answer.ok) {
    const why = serverMessage(answer);
    announce(why);
    shown.note.textContent = why;
    return false;
  }
  takeAnswer(answer.body.blocks, asked);
  return true;
}

export async function blockPerson(name) {
  if (await change("PUT", name)) announce(`You blocked ${name}: their messages are hidden. Unblock in your account menu.`);
}

// ``name``: as a message bears it, a former name perhaps: the person is unblocked by the name they have now.
export async function unblockPerson(name) {
  const current = keys.get(nickKey(name)) || name;
  if (await change("DELETE", current)) announce(`You unblocked ${current}.`);
}

// The names the rows show now: a list loaded again unchanged (the menu loads it each time it opens) keeps its
// rows, so a press on "Unblock" never lands on a row just replaced by the same one.
let listed = null;

function showList() {
  if (!shown.list) return;
  shown.note.textContent = "";
  shown.none.hidden = names.length > 0;
  const now = JSON.stringify(names);
  if (now === listed) return;
  listed = now;
  shown.list.replaceChildren(
    ...names.map((name) => {
      const row = element("li", "member"); // as a room's members and bars are listed: the button at the edge
      const unblock = element("button", "link-button", "Unblock");
      unblock.type = "button";
      unblock.setAttribute("aria-label", `Unblock ${name}`);
      unblock.addEventListener("click", () => unblockPerson(name));
      row.append(element("bdi", "nick", name), unblock);
      return row;
    }),
  );
}
