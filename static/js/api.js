// The JSON API as the pages call it: the page's _xsrf token on every request
// that changes something (docs/protocol.md, "Cross-site requests"), and
// every answer as {ok, status, data} — an error's data is {error, message}.

function xsrfToken() {
  const meta = document.querySelector('meta[name="xsrf-token"]');
  if (meta && meta.content) return meta.content;
  const cookie = document.cookie.split("; ").find((part) => part.startsWith("_xsrf="));
  return cookie ? decodeURIComponent(cookie.slice("_xsrf=".length)) : "";
}

export async function callApi(method, path, body) {
  const headers = {"X-XSRFToken": xsrfToken()};
  const options = {method, headers, credentials: "same-origin"};
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    return {ok: false, status: 0, data: {error: "offline", message: "The server cannot be reached. Try again."}};
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = {error: "bad_answer", message: `The server answered ${response.status}.`};
  }
  return {ok: response.ok, status: response.status, data};
}

// A refusal in words for a person: the server's own message, as a sentence.
export function explainRefusal(answer) {
  const message = (answer.data && answer.data.message) || "something went wrong: try again";
  return `${message.charAt(0).toUpperCase()}${message.slice(1)}.`;
}
