// The administrators' API from the page, over api.js: an answer's JSON, or
// an Error in the server's own words.

import {apiCall, failure} from "./api.js";
import {session} from "./session.js";

export async function adminCall(method, path, body) {
  const answer = await apiCall(method, path, body);
  if (!answer.ok) throw new Error(failure(answer));
  return answer.body || {};
}

let administrator = null; // the answer, asked once a page

// Whether the person on this page administers the server: the page knows for
// a session; with a token, one request asks (once: the panel and room settings both want to know).
export function isAdministrator() {
  administrator ??= askWhetherAdministrator();
  return administrator;
}

async function askWhetherAdministrator() {
  if (session.account) return session.account.admin;
  if (!session.jwtRequired) return false; // a guest
  return (await apiCall("GET", "/api/admin/accounts?limit=1")).ok;
}
