// A people picker: a name box that suggests accounts as one types (GET
// /api/accounts?prefix=, through a native datalist), and the people chosen so
// far as removable chips. Enter takes the account the typed text names: its
// name in any case, or the one name that starts so ("chloe" is Chloe Martin);
// a text that names nobody, or several, stays in the box with the reason in
// words (``onProblem``). Names are text, never markup.

import {apiCall} from "./api.js";
import {element} from "./dom.js";
import {nickKey, normalizeNick} from "./protocol.js";
import {session} from "./session.js";

const SUGGEST_DELAY_MS = 150;

export class PeoplePicker {
  // ``input``: the name box; ``list``: its <datalist>; ``chips``: where the chosen go.
  constructor(input, list, chips, {onChange = () => {}, onProblem = () => {}} = {}) {
    Object.assign(this, {input, list, chips, onChange, onProblem});
    this.chosen = [];
    this.timer = 0;
    this.asked = 0;
    this.taking = Promise.resolve(); // the names Enter took, looked up in turn
    this.round = 0; // a reset starts a new round: what an earlier one was still looking up is dropped
    input.addEventListener("input", () => this.inputChanged());
    input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      this.take(input.value);
    });
    input.addEventListener("change", () => this.pickedFromList());
  }

  reset() {
    this.round += 1;
    this.chosen = [];
    this.input.value = "";
    this.list.replaceChildren();
    this.draw();
  }

  // The names chosen, with the account still typed in the box; null when the box names nobody (or
  // several), which ``onProblem`` has explained.
  async names() {
    await this.taking;
    const typed = normalizeNick(this.input.value);
    if (!typed) return [...this.chosen];
    const name = await this.resolve(typed);
    if (name === null) return null;
    return [...new Set([...this.chosen, name])];
  }

  // Enter in the box, or its form's button: choose the account the text names, if it names one. The box
  // empties at once, so that the next name can be typed while this one is looked up; a text that names
  // nobody (or several) comes back to it, to be put right.
  take(raw) {
    const typed = normalizeNick(raw);
    if (!typed) return this.taking;
    const round = this.round;
    this.input.value = "";
    this.taking = this.taking
      .then(() => this.resolve(typed))
      .then((name) => {
        if (round !== this.round) return;
        if (name !== null) this.add(name);
        else if (!this.input.value) this.input.value = typed;
      });
    return this.taking;
  }

  // The account name ``typed`` stands for: the one it spells (any case), else the only one starting so;
  // null, with the reason told, when it names none or several. Unanswered, the text as typed (the
  // server has the last word).
  async resolve(typed) {
    const answer = await apiCall("GET", "/api/accounts?" + new URLSearchParams({prefix: typed, limit: "8"}));
    if (!answer.ok || !Array.isArray(answer.body && answer.body.accounts)) return typed;
    const names = answer.body.accounts.map((account) => account.name).filter((n) => typeof n === "string");
    const exact = names.find((name) => nickKey(name) === nickKey(typed));
    if (exact) return exact;
    const taken = new Set([...this.chosen, session.myNick].map(nickKey));
    const others = names.filter((name) => !taken.has(nickKey(name)));
    if (names.length === 1) return names[0];
    if (others.length === 1) return others[0];
    if (names.length === 0) this.onProblem(`Nobody here is called “${typed}”: check the name.`);
    else this.onProblem(`Several names start with “${typed}”: choose one from the list.`);
    this.input.focus();
    return null;
  }

  inputChanged() {
    this.onProblem("");
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
    this.input.value = "";
    this.add(raw);
    this.input.focus();
  }

  // ``raw`` among the chosen (once), what is being typed left as it is.
  add(raw) {
    const name = normalizeNick(raw);
    if (!name) return;
    if (!this.chosen.some((other) => nickKey(other) === nickKey(name))) this.chosen.push(name);
    this.list.replaceChildren();
    this.draw();
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
