// The service worker: shows a Web Push as a notification while no page of
// ours is open, and opens (or focuses) the room when it is clicked. Served
// from /sw.js so that its scope is the whole site. The push's text is
// shown as a notification's plain text, never as markup.

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function readPush(event) {
  try {
    return event.data ? event.data.json() : {};
  } catch {
    return {};
  }
}

function titleOf(push) {
  const nick = typeof push.nick === "string" ? push.nick : "Someone";
  if (push.reason === "mention") return `${nick} mentioned you in ${push.title || push.room}`;
  if (push.reason === "thread") return `${nick} replied in a thread in ${push.title || push.room}`;
  if (push.reason === "reminder") return `\u23F0 Reminder: ${nick}'s message in ${push.title || push.room}`;
  return nick;
}

// Only an address of this site: a push never sends a click elsewhere.
function ownUrl(url) {
  try {
    const target = new URL(typeof url === "string" ? url : "/", self.location.origin);
    return target.origin === self.location.origin ? target.href : self.location.origin + "/";
  } catch {
    return self.location.origin + "/";
  }
}

self.addEventListener("push", (event) => {
  const push = readPush(event);
  event.waitUntil(
    self.registration.showNotification(titleOf(push), {
      body: typeof push.text === "string" ? push.text : "",
      tag: `room:${push.room || ""}`, // one notification per room, the newest
      renotify: true,
      data: {url: ownUrl(push.url)},
    }),
  );
});

async function openRoom(url) {
  const windows = await self.clients.matchAll({type: "window", includeUncontrolled: true});
  const same = windows.find((client) => client.url === url);
  if (same) return same.focus();
  const ours = windows.find((client) => "navigate" in client);
  if (ours) {
    const moved = await ours.navigate(url);
    return (moved || ours).focus();
  }
  return self.clients.openWindow(url);
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(openRoom(ownUrl(event.notification.data && event.notification.data.url)));
});
