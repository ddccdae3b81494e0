// Slash commands in the message box and a thread's reply box, as in Slack or Mattermost: a message
// that starts with "/" and a word is a command. Typing "/" offers them in the
// box's suggestions (static/js/completion.js), each with what it does.
// "/me" and "/shrug" change the message before it goes (the box shows what
// is sent); "/topic", "/join" and "/search" do on the page what its buttons
// do, and send nothing; "/poll" is the server's own form (chatroom/polls.py),
// sent as typed. Any other "/word" is refused in words, sending nothing: a
// typo of a command never reaches the room. A message that starts with "//"
// and a word is sent with one "/" (a path such as "/etc/hosts", or an address
// such as "//example.com/x", goes as typed: no command is a word followed by "/").

import {apiCall, failure, roomPath, roomUrl} from "./api.js";
import {addSource} from "./completion.js";
import {element} from "./dom.js";
import {normalizeRoom, roomProblem} from "./protocol.js";
import {maySetTopic} from "./room_topic.js";
import {session} from "./session.js";

// "¯\_(ツ)_/¯" with Markdown's escapes, so that its backslash and underscores show as typed.
const SHRUG = String.raw`¯\\\_(ツ)\_/¯`;
const TYPED = /^\/([a-z+]*)$/;
const COMMAND = /^\/([a-z][a-z+]*)(?:\s+([\s\S]*))?$/;

const $ = (id) => document.getElementById(id);

// Each: its name, what follows it, what it does, and what it makes of the rest of the message: ``send``
// gives the text that goes instead (or a refusal), ``run`` acts and answers a refusal or "".
const COMMANDS = [
  {name: "me", args: "action", about: "say what you are doing, in italics", send: (rest) => emote(rest)},
  {name: "shrug", args: "message", about: "add ¯\\_(ツ)_/¯", send: (rest) => ({text: `${rest} ${SHRUG}`.trim()})},
  {
    name: "topic",
    args: "words",
    about: "set this room's topic (none: clear it)",
    run: (rest) => setTopic(rest),
    offered: () => maySetTopic(),
  },
  {name: "join", args: "room", about: "open a room by its name", run: (rest) => join(rest)},
  {name: "search", args: "words", about: "search the messages", run: (rest) => search(rest)},
  {name: "poll", args: "question", about: "a poll: then an option a line (Shift+Enter)"},
  {name: "poll+", args: "question", about: "a poll where one may choose several options"},
];

const byName = new Map(COMMANDS.map((command) => [command.name, command]));

function emote(rest) {
  return rest ? {text: `*${rest}*`} : {refusal: "Write what you are doing after /me, as in “/me waves”."};
}

async function setTopic(words) {
  if (!maySetTopic()) return "You cannot set this room's topic here.";
  const answer = await apiCall("PATCH", roomPath(session.room), {topic: words});
  return answer.ok ? "" : failure(answer);
}

async function join(raw) {
  const room = normalizeRoom(raw);
  const problem = room ? roomProblem(room) : "write the room's name after /join";
  if (problem) return `That room name does not work: ${problem}.`;
  location.assign(roomUrl(room));
  return "";
}

async function search(words) {
  if (!words) return "Write what to look for after /search.";
  $("search-open").click();
  $("search-q").value = words;
  $("search-form").requestSubmit();
  return "";
}

// What the message typed in the box is as a command: null for a message (the poll's form
// included), else {text} to send instead, {run} to do, or {refusal}.
export function slashCommand(typed) {
  const text = typed.trim();
  // "//word": the message "/word"; other text after "//" (an address such as "//example.com/x") goes as typed.
  if (text.startsWith("//") && COMMAND.test(text.slice(1))) return {text: text.slice(1)};
  const match = text.match(COMMAND);
  if (!match) return null;
  const [, name, rest = ""] = match;
  const command = byName.get(name);
  if (!command) {
    return {
      refusal: `/${name} is not a command: type / to see them. To send a message that starts with /, begin it with //.`,
    };
  }
  if (command.send) return command.send(rest.trim());
  if (command.run) return {run: () => command.run(rest.trim())};
  return null;
}

// The commands that start with what follows the "/" typed at the start of the box, and that this page's
// person may use here (a guest sets no topic).
export function commandsFor(typed) {
  return COMMANDS.filter((command) => command.name.startsWith(typed) && (!command.offered || command.offered()));
}

export function wireSlashCommands() {
  addSource({
    name: "commands",
    label: "Commands",
    find: (box) => {
      const to = box.selectionStart;
      const match = box.value.slice(0, to).match(TYPED);
      return match ? {typed: match[1], from: 0, to} : null;
    },
    candidates: ({typed}) => commandsFor(typed),
    content: (command) => [
      element("span", "completion-command", `/${command.name}`),
      element("span", "offer-hint", ` ${command.args} — ${command.about}`),
    ],
    insertion: (command) => `/${command.name}`,
    key: (command) => command.name,
  });
}
