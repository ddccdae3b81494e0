// The administrators' API from the page: JSON in and out, the page's token
// (or its session cookie) as credentials, and an error's own words.

import {session} from "./session.js";

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)_xsrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : null;
}

// The answer's JSON; throws an Error whose message is the server's.
export async function adminCall(method, path, body) {
  const headers = {Accept: "application/json"};
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  const xsrf = csrfToken();
  if (xsrf) headers["X-XSRFToken"] = xsrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  let answer = {};
  try {
    answer = await response.json();
  } catch {
    // A proxy's page: its status says enough.
  }
  if (!response.ok) {
    const error = new Error(answer.message || `the server answered ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return answer;
}

// Whether the person on this page is an administrator (asked once).
export async function isAdministrator() {
  try {
    await adminCall("GET", "/api/admin/accounts?limit=1");
    return true;
  } catch {
    return false;
  }
}
