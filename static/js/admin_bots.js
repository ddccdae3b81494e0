// The bots part of the administration panel: create a bot (its key shown
// once, with a copy button), new keys, revoking a key, the webhook address
// and the rooms a bot posts in.

import {adminCall} from "./admin_api.js";
import {copyField} from "./clipboard.js";
import {element, linkButton as button} from "./dom.js";

const $ = (id) => document.getElementById(id);
let say = () => {};

export function wireBots(note) {
  say = note;
  $("bot-form").addEventListener("submit", createBot);
  $("bot-key-copy").addEventListener("click", copyKey);
}

export async function renderBots() {
  const {bots} = await adminCall("GET", "/api/admin/bots");
  $("admin-bots").replaceChildren(...bots.map(botItem));
}

function botItem(bot) {
  const item = element("li", bot.active ? "bot-entry" : "bot-entry inactive");
  const head = element("p");
  head.append(element("bdi", "nick", bot.name), element("span", "badge", "bot"));
  const rooms = element("p", "hint", bot.rooms.length ? `Posts in: ${bot.rooms.join(", ")}` : "Posts in no room");
  // Who writes to a bot is theirs and the bot's: the server counts those conversations, never names them.
  if (bot.direct) rooms.append(` · ${bot.direct === 1 ? "1 person writes" : `${bot.direct} people write`} to it`);
  const hook = element("p", "hint", bot.webhook ? `Webhook: ${bot.webhook}` : "No webhook");
  const keys = element("ul", "bot-keys");
  for (const key of bot.keys.filter((k) => k.revoked_at === null)) {
    const line = element("li", "", `key ${key.key_id}… `);
    line.append(button("Revoke", () => change("DELETE", `/api/admin/bots/${bot.id}/keys/${key.key_id}`)));
    keys.append(line);
  }
  const actions = element("p", "actions-inline");
  actions.append(button("New key", () => newKey(bot)));
  const roomLabel = `Add ${bot.name} to a room`;
  const roomForm = inlineForm(`bot-${bot.id}-room`, roomLabel, "room name", "Add", (room) =>
    change("PUT", `/api/admin/bots/${bot.id}/rooms/${encodeURIComponent(room)}`),
  );
  const hookLabel = `Webhook address of ${bot.name}`;
  const hookForm = inlineForm(`bot-${bot.id}-webhook`, hookLabel, "https://… (empty: none)", "Set", (url) =>
    change("PUT", `/api/admin/bots/${bot.id}/webhook`, {url: url || null}),
  );
  item.append(head, rooms, hook, keys, actions, roomForm, hookForm);
  return item;
}

// A labelled field and a button; ``act`` gets the trimmed value.
function inlineForm(id, label, placeholder, submit, act) {
  const form = element("form", "inline-form");
  const caption = element("label", "", label);
  caption.htmlFor = id;
  const input = element("input");
  input.id = id;
  input.placeholder = placeholder;
  input.spellcheck = false;
  const go = element("button", "", submit);
  go.type = "submit";
  const row = element("div", "row");
  row.append(input, go);
  form.append(caption, row);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(input.value.trim());
  });
  return form;
}

// The key, shown this once: the server keeps only its hash.
function showKey(name, key) {
  $("bot-key-name").textContent = name;
  $("bot-key").value = key;
  $("bot-key-box").hidden = false;
  $("bot-key").select();
}

async function copyKey() {
  say((await copyField($("bot-key"))) ? "The key is copied." : "Copy the selected key with Ctrl+C (⌘C).");
}

async function createBot(event) {
  event.preventDefault();
  const rooms = $("bot-rooms").value.split(/[\s,]+/).filter(Boolean);
  try {
    const made = await adminCall("POST", "/api/admin/bots", {name: $("bot-name").value.trim(), rooms});
    showKey(made.bot.name, made.key);
    $("bot-name").value = "";
    $("bot-rooms").value = "";
    say(`Bot ${made.bot.name} created.`);
    await renderBots();
  } catch (error) {
    say(error.message);
  }
}

async function newKey(bot) {
  try {
    const issued = await adminCall("POST", `/api/admin/bots/${bot.id}/keys`);
    showKey(bot.name, issued.key);
    await renderBots();
  } catch (error) {
    say(error.message);
  }
}

async function change(method, path, body) {
  try {
    await adminCall(method, path, body);
    await renderBots();
    say("Done.");
  } catch (error) {
    say(error.message);
  }
}
