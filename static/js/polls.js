// A poll on the page (docs/protocol.md, "Polls"): a message whose user frame carries ``poll`` shows as
// a card, each option a button with a bar, its count and share, one's own choice marked; who chose an
// option is its button's title and accessible description, and "Show voters" writes it under each
// option (for a phone and the keyboard alike). Pressing an option votes, again takes the vote back; on
// a poll of one choice another option replaces it. ``vote`` and ``close_poll`` frames change the card
// live. Its author and the room's managers close it. User text goes in as text nodes only.

import {sendFrame} from "./connection.js";
import {REF_PREFIX} from "./change_refusals.js";
import {announce, element, textNode} from "./dom.js";
import {mayChangeMessages, session} from "./session.js";

// Per message element: its poll ({question, options: [{text, nicks}], several, closed}) and whether
// its voters are written out.
const pollOf = new WeakMap();
const votersShown = new WeakSet();
// ``shown``: cards drawn, numbering their voters' lines (a poll may show in the timeline and a thread).
const state = {refCounter: 0, shown: 0, deletesAny: () => false};

export function configurePolls({deletesAny}) {
  state.deletesAny = deletesAny;
}

const idOf = (item) => Number(item.dataset.id);
const isString = (value) => typeof value === "string";

function readPoll(part) {
  if (!part || !isString(part.question) || !Array.isArray(part.options)) return null;
  const options = part.options
    .filter((o) => o && isString(o.text) && Array.isArray(o.nicks))
    .map((o) => ({text: o.text, nicks: o.nicks.filter(isString)}));
  return {question: part.question, options, several: part.several === true, closed: part.closed === true};
}

// A poll in a line (saved messages, pins), as search results show it: "📊 QUESTION A · B · C"; null for
// a message that is no poll.
export function pollLine(frame) {
  const poll = frame && frame.deleted !== true ? readPoll(frame.poll) : null;
  return poll ? `📊 ${poll.question} ${poll.options.map((option) => option.text).join(" · ")}` : null;
}

// From a user frame: the card in place of the poll's text (which stays for screen readers, in short).
export function showPoll(item, frame) {
  const poll = frame.deleted === true ? null : readPoll(frame.poll);
  if (!poll) return;
  pollOf.set(item, poll);
  item.classList.add("has-poll");
  const body = item.querySelector(":scope > .text");
  body.replaceChildren(textNode(`📊 Poll: ${poll.question}`));
  renderPoll(item);
}

const mine = (option) => session.myNick !== "" && option.nicks.includes(session.myNick);

function renderPoll(item) {
  const poll = pollOf.get(item);
  const old = item.querySelector(":scope > .poll");
  const focused = old?.contains(document.activeElement) ? document.activeElement.dataset.pollKey : null;
  old?.remove();
  if (!poll || item.classList.contains("deleted")) return;
  const card = element("div", "poll");
  card.setAttribute("role", "group");
  card.setAttribute("aria-label", `Poll: ${poll.question}`);
  const total = poll.options.reduce((sum, o) => sum + o.nicks.length, 0);
  state.shown += 1;
  card.append(element("p", "poll-question", poll.question), element("p", "poll-hint", hint(poll, total)));
  const list = element("ul", "poll-options");
  poll.options.forEach((option, index) => list.append(optionRow(item, poll, option, index, total)));
  card.append(list, tools(item, poll, total));
  item.querySelector(":scope > .text").after(card);
  if (focused !== null) (card.querySelector(`[data-poll-key="${focused}"]`) || item).focus();
}

function hint(poll, total) {
  const how = poll.several ? "Choose any" : "Choose one";
  const votes = total === 1 ? "1 vote" : `${total} votes`;
  return poll.closed ? `Closed · ${votes}` : `${how} · ${votes}`;
}

function optionRow(item, poll, option, index, total) {
  const row = element("li", "poll-option");
  const chosen = mine(option);
  const share = total ? Math.round((option.nicks.length * 100) / total) : 0;
  const button = element("button", "poll-choice");
  button.type = "button";
  button.dataset.pollKey = `o${index}`;
  button.setAttribute("aria-pressed", String(chosen));
  button.disabled = poll.closed || !mayChangeMessages();
  const bar = element("span", "poll-bar");
  bar.style.width = `${share}%`;
  const count = option.nicks.length;
  button.append(
    bar,
    element("span", "poll-mark", chosen ? "✓" : ""),
    element("span", "poll-text", option.text),
    element("span", "poll-count", `${count} · ${share}%`),
  );
  const who = element("p", "poll-voters", count ? `Chosen by ${option.nicks.join(", ")}` : "Nobody yet");
  who.id = `poll-${state.shown}-voters-${index}`;
  who.hidden = !votersShown.has(item);
  button.title = count ? option.nicks.join(", ") : "Nobody yet";
  button.setAttribute("aria-describedby", who.id);
  button.addEventListener("click", () => vote(item, index, !chosen));
  row.append(button, who);
  return row;
}

function tools(item, poll, total) {
  const row = element("div", "poll-tools");
  if (total > 0) {
    const showing = votersShown.has(item);
    const toggle = element("button", "link-button poll-show-voters", showing ? "Hide voters" : "Show voters");
    toggle.type = "button";
    toggle.dataset.pollKey = "voters";
    toggle.setAttribute("aria-expanded", String(showing));
    toggle.addEventListener("click", () => {
      if (showing) votersShown.delete(item);
      else votersShown.add(item);
      renderPoll(item);
    });
    row.append(toggle);
  }
  if (!poll.closed && mayClose(item)) {
    const close = element("button", "link-button poll-close", "Close poll");
    close.type = "button";
    close.dataset.pollKey = "close";
    close.addEventListener("click", () => send({type: "close_poll", id: idOf(item)}));
    row.append(close);
  }
  return row;
}

// Its author, or whoever deletes anyone's message here (an administrator, the room's owner).
const mayClose = (item) => mayChangeMessages() && (item.classList.contains("own") || state.deletesAny());

function send(frame) {
  state.refCounter += 1;
  sendFrame({...frame, ref: `${REF_PREFIX}-poll-${Date.now().toString(36)}-${state.refCounter}`});
}

function vote(item, option, on) {
  send({type: "vote", id: idOf(item), option, on});
}

// A ``vote`` or ``close_poll`` frame, live or from a replay, on the element of its poll.
export function applyPollChange(item, frame) {
  const poll = pollOf.get(item);
  if (!poll || !isString(frame.nick)) return;
  if (frame.type === "close_poll") {
    poll.closed = true;
    announce(`The poll "${poll.question}" was closed`);
    return renderPoll(item);
  }
  const chosen = poll.options[frame.option];
  if (!chosen) return;
  if (frame.on === true && !poll.several) for (const o of poll.options) o.nicks = o.nicks.filter((n) => n !== frame.nick);
  chosen.nicks = chosen.nicks.filter((n) => n !== frame.nick);
  if (frame.on === true) chosen.nicks.push(frame.nick);
  renderPoll(item);
}

// Known late (who the page is, whether it may change messages or close others' polls): cards follow.
export function refreshPolls() {
  for (const item of document.querySelectorAll(".msg.has-poll")) renderPoll(item);
}
