// Web Push on this device: the service worker (/sw.js) is registered for
// signed-in people; in the account menu, "Notify me on this device when
// I'm away" asks the browser's permission when clicked (never on page load),
// subscribes with the server's key and gives the server the subscription;
// "Pause on all my devices" is the person's own switch, kept by the server.
// A browser that cannot subscribe (no push service, notifications blocked)
// says so in words, and the rest of the page carries on.

import {apiCall, serverMessage} from "./api.js";
import {session} from "./session.js";

const $ = (id) => document.getElementById(id);
const ui = {
  section: $("push-section"),
  device: $("push-device"),
  pause: $("push-pause"),
  pauseRow: $("push-pause-row"),
  note: $("push-note"),
};

let registering = null; // the service worker's registration, once asked for

function say(text, bad = false) {
  ui.note.textContent = text;
  ui.note.classList.toggle("bad", bad);
}

function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

function registration() {
  if (!registering) {
    registering = navigator.serviceWorker.register("/sw.js", {scope: "/"}).then(
      () => navigator.serviceWorker.ready,
      () => null,
    );
  }
  return registering;
}

function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function currentSubscription() {
  const ready = await registration();
  if (!ready || !ready.pushManager) return null;
  try {
    return await ready.pushManager.getSubscription();
  } catch {
    return null;
  }
}

async function sendToServer(subscription) {
  const answer = await apiCall("POST", "/api/push/subscriptions", subscription.toJSON());
  if (!answer.ok) say(serverMessage(answer), true);
  return answer.ok;
}

async function subscribe() {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    return say("Notifications are blocked for this site: allow them in your browser's site settings.", true);
  }
  const ready = await registration();
  if (!ready) return say("This browser would not start the page's service worker: notifications cannot work here.", true);
  const key = await apiCall("GET", "/api/push/key");
  if (!key.ok) return say(serverMessage(key), true);
  let subscription;
  try {
    subscription = await ready.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(key.body.key),
    });
  } catch (error) {
    const why = error && error.message ? ` (${error.message})` : "";
    return say(`This browser could not reach its push service${why}: it cannot be notified here.`, true);
  }
  if (await sendToServer(subscription)) {
    ui.device.checked = true;
    say("This device will be notified of direct messages and mentions while you are away.");
  }
}

async function unsubscribe() {
  const subscription = await currentSubscription();
  if (subscription) {
    const endpoint = subscription.endpoint;
    await subscription.unsubscribe().catch(() => false);
    const answer = await apiCall("DELETE", "/api/push/subscriptions", {endpoint});
    if (!answer.ok && answer.status !== 404) return say(serverMessage(answer), true);
  }
  say("This device will not be notified.");
}

async function onDevice() {
  const wanted = ui.device.checked;
  ui.device.checked = !wanted; // until it is done
  ui.device.disabled = true;
  try {
    await (wanted ? subscribe() : unsubscribe());
    if (!wanted) ui.device.checked = false;
  } finally {
    ui.device.disabled = false;
  }
}

async function onPause() {
  const answer = await apiCall("PUT", "/api/push/settings", {enabled: !ui.pause.checked});
  if (!answer.ok) {
    ui.pause.checked = !ui.pause.checked;
    return say(serverMessage(answer), true);
  }
  say(answer.body.enabled ? "Notifications are on for your devices." : "Notifications are paused on all your devices.");
}

// The account menu opened: show what this device and the server say now.
export async function showPushState() {
  if (!ui.section || !session.account) return;
  ui.section.hidden = false;
  if (!supported()) {
    ui.device.disabled = true;
    ui.pauseRow.hidden = true;
    return say("This browser cannot show notifications from a page.", true);
  }
  const settings = await apiCall("GET", "/api/push/settings");
  if (settings.ok) {
    ui.pause.checked = !settings.body.enabled;
    ui.pauseRow.hidden = settings.body.devices === 0;
  }
  const subscription = await currentSubscription();
  ui.device.checked = Boolean(subscription) && Notification.permission === "granted";
}

export function wirePush() {
  if (!ui.section || !session.account || !supported()) return;
  ui.device.addEventListener("change", onDevice);
  ui.pause.addEventListener("change", onPause);
  // The worker, and a subscription the browser holds already: the server is
  // given it again (a device signed in as someone else now notifies them).
  registration().then(async () => {
    if (Notification.permission !== "granted") return;
    const subscription = await currentSubscription();
    if (subscription) await sendToServer(subscription);
  });
}
