// A short chime with each notification the page pops up (a mention, a direct
// message, a reply in a followed thread, a reminder), as Slack or Mattermost
// ring: made by the browser's Web Audio (no sound file to fetch), on unless
// the person turns it off in the account menu ("Play a sound with
// notifications", kept in this browser). Pausing notifications pauses it too:
// it rings only where a notification pops up.
//
// Browsers let a page play sound only once the person has done something on
// it (a click, a key), so the player is made at the first such gesture; a tab
// never touched stays silent, as its notification alone is shown. Several tabs
// of one person each pop the same notification up (a tag replaces it): only
// one of them rings, the first, within a second.

const SOUND_KEY = "chatroom.sound";
const RANG_KEY = "chatroom.rang-at";
const ONCE_WITHIN_MS = 1000;
// Two notes, a fifth apart, each fading out: heard, not startling.
const NOTES = [
  {hz: 880, at: 0},
  {hz: 1320, at: 0.12},
];
const NOTE_SECONDS = 0.35;
const LOUDNESS = 0.15;

let player = null;

export const soundOn = () => localStorage.getItem(SOUND_KEY) !== "off";

export function setSoundOn(on) {
  if (on) localStorage.removeItem(SOUND_KEY);
  else localStorage.setItem(SOUND_KEY, "off");
}

// Whether this tab is the first of the browser's to ring for this notification.
function firstToRing() {
  const now = Date.now();
  const last = Number(localStorage.getItem(RANG_KEY)) || 0;
  if (now - last >= 0 && now - last < ONCE_WITHIN_MS) return false;
  localStorage.setItem(RANG_KEY, String(now));
  return true;
}

// Called where a notification pops up.
export function chime() {
  if (!player || !soundOn() || !firstToRing()) return;
  if (player.state === "suspended") player.resume();
  const start = player.currentTime;
  for (const {hz, at} of NOTES) {
    const tone = player.createOscillator();
    const volume = player.createGain();
    tone.frequency.value = hz;
    volume.gain.setValueAtTime(LOUDNESS, start + at);
    volume.gain.exponentialRampToValueAtTime(0.0001, start + at + NOTE_SECONDS);
    tone.connect(volume).connect(player.destination);
    tone.start(start + at);
    tone.stop(start + at + NOTE_SECONDS);
  }
}

function makePlayer() {
  if (player || !("AudioContext" in window)) return;
  player = new AudioContext();
}

export function wireSound() {
  for (const gesture of ["pointerdown", "keydown"]) {
    document.addEventListener(gesture, makePlayer, {once: true, capture: true});
  }
  const box = document.getElementById("sound-on");
  box.checked = soundOn();
  box.addEventListener("change", () => setSoundOn(box.checked));
}
