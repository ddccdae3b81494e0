// What the page offers an account and not a guest: creating rooms and
// conversations, attaching files, room settings, and authors' colours and
// pictures looked up by name.

import {learnAdmin} from "./admin_marks.js";
import {apiCall} from "./api.js";
import {offerAttaching} from "./attach.js";
import {learnAccount, lookUpAccounts} from "./avatar.js";
import {ui} from "./dom.js";
import {nickKey} from "./protocol.js";
import {session} from "./session.js";
import {learnMarks} from "./status.js";
import {lookupAsked} from "./told.js";
import {mayOffer} from "./unread.js";

// People with an account may create rooms and open conversations: the page
// asks the server once whether it knows this one (guests are refused). An
// account may look people up, so the page then asks for authors' colours.
// ``known`` runs once the page knows whether it speaks for an account: at
// once on a page the server made for an account that joined as one (its
// tools show with "Connected", not a moment later), else after the answer;
// and again if the answer refuses the account. Such a page keeps its tools
// through a check that failed (no network, a database outage): only a
// refusal (401, as to a guest) says it speaks for none.
export async function showAccountActions(known = () => {}) {
  const early = servedToAccount();
  if (early) offerAccountActions(true, known);
  const asked = lookupAsked();
  const answer = await apiCall("GET", "/api/accounts?" + new URLSearchParams({prefix: session.myNick, limit: "1"}));
  if (answer.ok && Array.isArray(answer.body.accounts)) learnMarks(answer.body.accounts, asked); // one's own status
  if (!early) offerAccountActions(answer.ok, known);
  else if (answer.status === 401) offerAccountActions(false, known);
  lookUpAccounts(session.isAccount ? lookUpAccount : null);
}

// The page was made for an account (its session cookie) and the server welcomed it as one: an
// account's page whose session has ended is refused, never taken in as a guest (identity.js).
const servedToAccount = () => Boolean(session.account) && !session.myGuest;

function offerAccountActions(isAccount, known) {
  session.isAccount = isAccount;
  ui.roomActions.hidden = !isAccount;
  offerAttaching(isAccount);
  ui.roomSettings.hidden = !isAccount || session.roomMissing; // no room here to set
  ui.notifyOn.hidden = !mayOffer();
  // An account's rooms are made with "New room"; going to a name only finds one.
  if (isAccount) ui.roomForm.querySelector("label").textContent = "Go to a room";
  known();
}

// The colour and picture of the account called ``nick``, if there is one (a guest has none), and
// whether it administers the server.
async function lookUpAccount(nick) {
  const asked = lookupAsked();
  const answer = await apiCall("GET", "/api/accounts?" + new URLSearchParams({prefix: nick, limit: "5"}));
  if (!answer.ok) return; // asked again at the next page
  const accounts = Array.isArray(answer.body.accounts) ? answer.body.accounts : [];
  const named = accounts.filter((a) => a && typeof a.name === "string" && nickKey(a.name) === nickKey(nick));
  learnAccount(nick, named);
  learnAdmin(nick, named.length > 0 && named[0].admin === true, asked);
  learnMarks(named.length ? named : [{name: nick}], asked); // no account of that name: no status either
}
