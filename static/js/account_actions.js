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
import {mayOffer} from "./unread.js";

// People with an account may create rooms and open conversations: the page
// asks the server once whether it knows this one (guests are refused). An
// account may look people up, so the page then asks for authors' colours.
export async function showAccountActions() {
  const answer = await apiCall("GET", "/api/accounts?" + new URLSearchParams({prefix: session.myNick, limit: "1"}));
  session.isAccount = answer.ok;
  if (answer.ok && Array.isArray(answer.body.accounts)) learnMarks(answer.body.accounts); // one's own status
  lookUpAccounts(answer.ok ? lookUpAccount : null);
  ui.roomActions.hidden = !answer.ok;
  offerAttaching(answer.ok);
  ui.roomSettings.hidden = !answer.ok || session.roomMissing; // no room here to set
  ui.notifyOn.hidden = !mayOffer();
  // An account's rooms are made with "New room"; going to a name only finds one.
  if (answer.ok) ui.roomForm.querySelector("label").textContent = "Go to a room";
}

// The colour and picture of the account called ``nick``, if there is one (a guest has none), and
// whether it administers the server.
async function lookUpAccount(nick) {
  const answer = await apiCall("GET", "/api/accounts?" + new URLSearchParams({prefix: nick, limit: "5"}));
  if (!answer.ok) return; // asked again at the next page
  const accounts = Array.isArray(answer.body.accounts) ? answer.body.accounts : [];
  const named = accounts.filter((a) => a && typeof a.name === "string" && nickKey(a.name) === nickKey(nick));
  learnAccount(nick, named);
  learnAdmin(nick, named.length > 0 && named[0].admin === true);
  learnMarks(named.length ? named : [{name: nick}]); // no account of that name: no status either
}
