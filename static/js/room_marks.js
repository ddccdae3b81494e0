// The marks beside a room's name in the rooms list, and the words a screen reader hears for them
// (the link's name): an unsent draft (✎, Slack's mark), an announcements room (📢: its entry's
// ``posting`` is "managers"), an archived one. A ``room`` frame redraws them as the rules change.

import {element} from "./dom.js";

const ANNOUNCEMENTS = "Announcements: only its owner and administrators post";

function announcementsMark() {
  const mark = element("span", "room-announce-mark", "📢");
  mark.title = ANNOUNCEMENTS;
  return mark;
}

export function roomMarks({draft, announcements, archived}) {
  return [
    ...(draft ? [element("span", "room-draft", "✎")] : []),
    ...(announcements ? [announcementsMark()] : []),
    ...(archived ? [element("span", "room-tag", "archived")] : []),
  ];
}

// "draft, announcements: only its owner and administrators post, archived, ", as the marks shown.
export function markWords({draft, announcements, archived}) {
  const words = [draft && "draft", announcements && ANNOUNCEMENTS.toLowerCase(), archived && "archived"];
  return words.filter(Boolean).map((word) => word + ", ").join("");
}
