// The join and leave lines in the message list. Joins and leaves with nothing
// else between them are one line, changed in place ("ann, bob and 5 others
// joined · carl left"), so that a busy room's comings and goings never bury
// what is said. The line tells where the run left things: someone who left
// and came back within it (a phone reconnecting), or came and went, is not
// in it. Anything else put in the list (a message, a notice) ends the run.
// The lines are not said to a screen reader as they change (only messages
// are, by static/js/messages.js): a class coming in would be twenty-five
// interruptions; the line is there to read.

import {element, linkButton, nickElement, textNode, timeElement, ui} from "./dom.js";
import {addLine, changeLine, removeLine} from "./messages.js";
import {nickKey} from "./protocol.js";

// Names a side of the line shows; past that, two and "N others", a button that shows them all.
const NAMES_SHOWN = 3;

// The run being told: its line (none while it adds up to nothing), the item it
// follows, who is in now that was not (nick key -> {name, guest}), who is out.
let run = null;
let panels = 0;

function newRun() {
  panels += 1;
  const after = ui.list.lastElementChild;
  return {line: null, after, joined: new Map(), left: new Map(), ts: 0, open: false, id: panels};
}

// The run goes on while nothing was put in the list after it.
function currentRun() {
  if (!run) return null;
  const last = ui.list.lastElementChild;
  return (run.line?.isConnected ? run.line === last : run.after === last) ? run : null;
}

// ``arrived``: [{name, guest}] in; ``departed``: names out (applied first, as a presence frame's are).
export function showComingsAndGoings(arrived, departed, ts) {
  if (arrived.length + departed.length === 0) return;
  run = currentRun() || newRun();
  for (const name of departed) {
    const key = nickKey(name);
    if (!run.joined.delete(key)) run.left.set(key, {name, guest: false});
  }
  for (const person of arrived) {
    const key = nickKey(person.name);
    if (!run.left.delete(key)) run.joined.set(key, person);
  }
  if (typeof ts === "number") run.ts = ts;
  show(run);
}

function show(shown) {
  if (shown.joined.size + shown.left.size === 0) {
    if (shown.line?.isConnected) {
      shown.after = shown.line.previousElementSibling;
      removeLine(shown.line);
    }
    shown.line = null;
    return;
  }
  if (!shown.line?.isConnected) shown.line = addLine("sys", [], 0);
  if (shown.line) changeLine(() => fill(shown));
}

function fill(shown) {
  const {line, joined, left} = shown;
  line.className = "line sys " + (joined.size && left.size ? "presence" : joined.size ? "join" : "leave");
  const focused = line.contains(document.activeElement) ? document.activeElement.dataset.side : "";
  const nodes = joined.size ? side(shown, "joined", " joined") : [];
  if (joined.size && left.size) nodes.push(separator());
  if (left.size) nodes.push(...side(shown, "left", " left"));
  if (shown.ts) nodes.push(textNode(" "), timeElement(shown.ts));
  if (joined.size > NAMES_SHOWN || left.size > NAMES_SHOWN) nodes.push(everyone(shown));
  line.replaceChildren(...nodes);
  if (focused) line.querySelector(`[data-side="${focused}"]`)?.focus(); // the line changed under it
}

// " · " between the joins and the leaves; a screen reader hears a comma.
function separator() {
  const node = element("span", "", " · ");
  node.setAttribute("aria-hidden", "true");
  const heard = element("span", "visually-hidden", ", ");
  const both = element("span");
  both.append(node, heard);
  return both;
}

const personElement = ({name, guest}) => {
  const node = nickElement(name);
  if (guest) node.title = `${name} is a guest (no account)`;
  return node;
};

// "ann joined", "ann and bob joined", "ann, bob and carl joined", "ann, bob and 5 others joined".
function side(shown, which, verb) {
  const people = [...shown[which].values()];
  const named = people.length > NAMES_SHOWN ? people.slice(0, NAMES_SHOWN - 1) : people;
  const nodes = [];
  named.forEach((person, i) => {
    if (i > 0) nodes.push(textNode(i === people.length - 1 ? " and " : ", "));
    nodes.push(personElement(person));
  });
  const others = people.slice(named.length);
  if (others.length) nodes.push(textNode(" and "), othersButton(shown, which, others, verb));
  nodes.push(textNode(verb));
  return nodes;
}

// In the Tab order (a line is no message, which the arrow keys of static/js/message_focus.js
// would reach it through): the keyboard opens the list as a mouse does, a mouse also sees the
// names in its tooltip. Its name says what the others did ("5 others joined"), its words first.
function othersButton(shown, which, others, verb) {
  const button = linkButton(`${others.length} others`, () => {
    shown.open = !shown.open;
    if (shown.line) changeLine(() => fill(shown));
  });
  button.className = "link-button others";
  button.dataset.side = which;
  button.setAttribute("aria-label", `${others.length} others${verb}`);
  button.title = others.map((person) => person.name).join(", ");
  button.setAttribute("aria-expanded", String(shown.open));
  button.setAttribute("aria-controls", `presence-${shown.id}`);
  return button;
}

// Everyone the line stands for, under it, while one of its "others" buttons has it open.
function everyone(shown) {
  const panel = element("div", "everyone");
  panel.id = `presence-${shown.id}`;
  panel.hidden = !shown.open;
  for (const [which, label] of [["joined", "Joined: "], ["left", "Left: "]]) {
    const people = [...shown[which].values()];
    if (!people.length) continue;
    const row = element("p", "", label);
    people.forEach((person, i) => row.append(...(i ? [textNode(", ")] : []), personElement(person)));
    panel.append(row);
  }
  return panel;
}
