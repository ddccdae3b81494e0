// Short names people type for emoji in other chats (":tada:", ":+1:"), so
// the picker's search finds them by those too, besides their Unicode names.
// Kept by hand; each emoji here is one of the picker's (emoji_data.js).

export const SHORTCODES = {
  "+1": "👍", "thumbsup": "👍", "-1": "👎", "thumbsdown": "👎", "heart": "❤️", "joy": "😂", "tada": "🎉",
  "open_mouth": "😮", "cry": "😢", "sob": "😭", "smile": "😄", "grin": "😁", "laughing": "😆", "wink": "😉",
  "blush": "😊", "heart_eyes": "😍", "thinking": "🤔", "eyes": "👀", "fire": "🔥", "clap": "👏", "pray": "🙏",
  "ok_hand": "👌", "wave": "👋", "muscle": "💪", "raised_hands": "🙌", "100": "💯", "rocket": "🚀",
  "warning": "⚠️", "rofl": "🤣", "sweat_smile": "😅", "slightly_smiling_face": "🙂", "upside_down_face": "🙃",
  "scream": "😱", "rage": "😡", "skull": "💀", "poop": "💩", "party": "🥳", "partying_face": "🥳", "hugs": "🤗",
  "beers": "🍻", "cake": "🍰", "gift": "🎁", "bulb": "💡", "bug": "🐛", "sunglasses": "😎", "confused": "😕",
  "astonished": "😲", "broken_heart": "💔",
};
