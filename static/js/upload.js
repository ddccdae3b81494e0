// One file sent to a room: ``POST /api/rooms/{room}/files`` with the raw
// bytes as the body (docs/protocol.md, "Files"), through XMLHttpRequest
// because fetch cannot tell how much of a body has gone. The answer comes as
// {ok, status, body, retryAfter}; a network failure or a cancel is status 0.

import {apiHeaders, roomPath} from "./api.js";
import {humanSize} from "./file_view.js";

// Starts sending ``file`` (with ``text``, ``replyTo`` and ``thread``, when given) to
// ``room``; ``progress(fraction)`` hears how much has gone. Answers
// {done: a promise of the answer, cancel: stops it}.
export function startUpload(room, file, {text = "", replyTo = null, thread = null} = {}, progress = () => {}) {
  const query = new URLSearchParams({name: file.name || "file"});
  if (thread) query.set("thread", String(thread));
  if (text) query.set("text", text);
  if (replyTo !== null && replyTo !== undefined) query.set("reply_to", String(replyTo));
  const request = new XMLHttpRequest();
  const done = new Promise((resolve) => {
    request.open("POST", `${roomPath(room)}/files?${query}`);
    for (const [name, value] of Object.entries(apiHeaders("POST"))) request.setRequestHeader(name, value);
    request.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && event.total > 0) progress(event.loaded / event.total);
    });
    request.addEventListener("load", () => resolve(answerOf(request)));
    for (const failed of ["error", "abort", "timeout"]) {
      request.addEventListener(failed, () => resolve({ok: false, status: 0, body: null, retryAfter: 0, failed}));
    }
    request.send(file);
  });
  return {done, cancel: () => request.abort()};
}

function answerOf(request) {
  let body = null;
  try {
    body = request.responseText ? JSON.parse(request.responseText) : null;
  } catch {
    body = null;
  }
  const retryAfter = Number(request.getResponseHeader("Retry-After")) || 0;
  return {ok: request.status >= 200 && request.status < 300, status: request.status, body, retryAfter};
}

const codeOf = (answer) => (answer.body && typeof answer.body.error === "string" ? answer.body.error : "");

// The limit a too_large answer names, in the units a person reads.
function limitOf(answer) {
  // The server says "a file may have at most 26214400 bytes".
  const message = answer.body && typeof answer.body.message === "string" ? answer.body.message : "";
  const bytes = message.match(/(\d+) bytes/);
  return bytes ? humanSize(Number(bytes[1])) : "";
}

function seconds(answer) {
  return answer.retryAfter > 0 ? ` Try again in ${answer.retryAfter} s.` : " Wait a moment, then try again.";
}

// Why ``name`` was not sent, in words for the person.
export function uploadFailure(answer, name) {
  if (answer.failed === "abort") return "Cancelled.";
  if (answer.status === 0) return "The server cannot be reached: check the connection and try again.";
  const code = codeOf(answer);
  if (answer.status === 413 || code === "too_large") {
    const limit = limitOf(answer);
    return limit ? `Too large: this server takes files up to ${limit}.` : "Too large for this server.";
  }
  if (answer.status === 429 || code === "rate_limited") return "You are sending files too fast." + seconds(answer);
  if (answer.status === 507 || code === "quota_exceeded") {
    return "The server has no room left for files: ask its administrator.";
  }
  if (answer.status === 422 || code === "refused_image") return pictureRefusal(answer, name);
  if (answer.status === 401) return "Sign in first: only people with an account can send files.";
  if (answer.status === 403 || code === "forbidden") return "You may not send files in this room.";
  if (answer.status === 404) return "This room is not there any more, or not yours to see.";
  const message = answer.body && typeof answer.body.message === "string" ? answer.body.message : "";
  return message ? `The server refused: ${message}.` : `The server refused (${answer.status}).`;
}

// The server's reason for refusing a picture is a word in its message ("… (too_many_pixels)").
function pictureRefusal(answer, name) {
  const message = answer.body && typeof answer.body.message === "string" ? answer.body.message : "";
  if (message.includes("not_an_image")) return `“${name}” is not a picture: use a JPEG, PNG, WebP or GIF.`;
  if (message.includes("too_many_pixels")) return `“${name}” has too many pixels for this server.`;
  return `“${name}” looks like a picture, but it cannot be read: it may be damaged.`;
}
