// A people picker: a name box that suggests accounts as one types (GET
// /api/accounts?prefix=, through a native datalist), and the people chosen so
// far as removable chips. Names are text, never markup.

import {apiCall} from "./api.js";
import {element} from "./dom.js";
import {nickKey, normalizeNick} from "./protocol.js";
import {session} from "./session.js";

const SUGGEST_DELAY_MS = 150;

export class PeoplePicker {
  // ``input``: the name box; ``list``: its <datalist>; ``chips``: where the chosen go.
  constructor(input, list, chips, {onChange = () => {}} = {}) {
    Object.assign(this, {input, list, chips, onChange});
    this.chosen = [];
    this.timer = 0;
    this.asked = 0;
    input.addEventListener("input", () => this.inputChanged());
    input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      this.choose(input.value);
    });
    input.addEventListener("change", () => this.pickedFromList());
  }

  reset() {
    this.chosen = [];
    this.input.value = "";
    this.list.replaceChildren();
    this.draw();
  }

  // The names chosen, with what is still typed in the box.
  names() {
    const typed = normalizeNick(this.input.value);
    return typed ? [...new Set([...this.chosen, typed])] : [...this.chosen];
  }

  inputChanged() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.suggest(), SUGGEST_DELAY_MS);
  }

  // A name taken from the suggestions is chosen at once.
  pickedFromList() {
    const value = normalizeNick(this.input.value);
    if ([...this.list.options].some((option) => option.value === value)) this.choose(value);
  }

  async suggest() {
    const prefix = normalizeNick(this.input.value);
    const asked = ++this.asked;
    if (!prefix) return this.list.replaceChildren();
    const answer = await apiCall("GET", "/api/accounts?" + new URLSearchParams({prefix, limit: "8"}));
    if (asked !== this.asked || !answer.ok || !Array.isArray(answer.body && answer.body.accounts)) return;
    const taken = new Set([...this.chosen, session.myNick].map(nickKey));
    const options = answer.body.accounts
      .filter((account) => typeof account.name === "string" && !taken.has(nickKey(account.name)))
      .map((account) => {
        const option = element("option");
        option.value = account.name;
        if (account.bot) option.label = `${account.name} (bot)`;
        return option;
      });
    this.list.replaceChildren(...options);
  }

  choose(raw) {
    const name = normalizeNick(raw);
    if (!name) return;
    if (!this.chosen.some((other) => nickKey(other) === nickKey(name))) this.chosen.push(name);
    this.input.value = "";
    this.list.replaceChildren();
    this.draw();
    this.input.focus();
  }

  remove(name) {
    this.chosen = this.chosen.filter((other) => other !== name);
    this.draw();
    this.input.focus();
  }

  draw() {
    this.chips.replaceChildren(
      ...this.chosen.map((name) => {
        const chip = element("li", "person-chip");
        const remove = element("button", "chip-remove", "×");
        remove.type = "button";
        remove.setAttribute("aria-label", `Remove ${name}`);
        remove.addEventListener("click", () => this.remove(name));
        chip.append(element("bdi", "", name), remove);
        return chip;
      }),
    );
    this.onChange(this.chosen);
  }
}
