// The JSON API as the page calls it: the token when the server requires one
// (otherwise the session cookie goes along by itself), the cross-site
// request token echoed for a change, and every answer as {ok, status, body}.

import {isOwn, session} from "./session.js";

const XSRF_COOKIE = "_xsrf";

function cookie(name) {
  const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

// The headers of a call: the token, and for a change the cross-site request token.
export function apiHeaders(method) {
  const headers = {Accept: "application/json"};
  if (session.jwtRequired && session.token) headers.Authorization = `Bearer ${session.token}`;
  if (method !== "GET") {
    const xsrf = cookie(XSRF_COOKIE);
    if (xsrf) headers["X-XSRFToken"] = xsrf;
  }
  return headers;
}

// ``method`` ``path`` with a JSON ``body``; never throws: a network failure is status 0.
export async function apiCall(method, path, body) {
  const headers = apiHeaders(method);
  if (method !== "GET") headers["Content-Type"] = "application/json";
  const init = {method, headers, credentials: "same-origin"};
  if (body !== undefined) init.body = JSON.stringify(body);
  return answerOf(path, init);
}

// ``method`` ``path`` with ``blob`` as the raw body (a file, a picture).
export async function apiSendBytes(method, path, blob) {
  const headers = apiHeaders(method);
  headers["Content-Type"] = blob.type || "application/octet-stream";
  return answerOf(path, {method, headers, credentials: "same-origin", body: blob});
}

// A form's fields and files (FormData): no Content-Type of ours, the browser writes the form's, with its boundary.
export async function apiSendForm(method, path, form) {
  return answerOf(path, {method, headers: apiHeaders(method), credentials: "same-origin", body: form});
}

async function answerOf(path, init) {
  try {
    const response = await fetch(path, init);
    const text = await response.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return {ok: response.ok, status: response.status, body: parsed};
  } catch {
    return {ok: false, status: 0, body: null};
  }
}

// What went wrong with an answer, in words for the person.
export function failure(answer) {
  if (answer.status === 0) return "The server cannot be reached. Try again in a moment.";
  if (answer.status === 401) return "Sign in first: only people with an account can do this.";
  const message = answer.body && typeof answer.body.message === "string" ? answer.body.message : "";
  return message ? message.charAt(0).toUpperCase() + message.slice(1) + "." : `The server refused (${answer.status}).`;
}

export const roomPath = (room) => `/api/rooms/${encodeURIComponent(room)}`;

// The page's own address of a room (relative: this server's page).
export const roomUrl = (room) => "?" + new URLSearchParams({room});

// This page's person's membership of a room ({answer, membership}: null when not a member), asked of
// the page of members starting like their name, where they come first: the whole list of a room
// everyone is in is thousands of people.
export async function ownMembership(room) {
  const prefix = encodeURIComponent(session.myNick);
  const answer = await apiCall("GET", `${roomPath(room)}/members?prefix=${prefix}&limit=1`);
  const membership = answer.ok ? answer.body.members.find((member) => isOwn(member.name)) || null : null;
  return {answer, membership};
}

// A refusal in the server's own words, as a sentence: for forms where a 401
// means a wrong password rather than "sign in first".
export function serverMessage(answer) {
  if (answer.status === 0) return "The server cannot be reached. Try again in a moment.";
  const message = answer.body && typeof answer.body.message === "string" ? answer.body.message : "";
  return message ? message.charAt(0).toUpperCase() + message.slice(1) + "." : `The server refused (${answer.status}).`;
}
