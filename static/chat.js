// The chat page: one WebSocket per room. User text is only ever shown with
// textContent, never parsed as HTML.
"use strict";
(function () {
  const room = document.body.dataset.room || "lobby";
  const list = document.getElementById("messages");
  const users = document.getElementById("users");
  const status = document.getElementById("status");
  const nickInput = document.getElementById("nick");
  const textInput = document.getElementById("text");
  let socket = null;
  let lastId = 0;
  const seen = new Set();
  nickInput.value = localStorage.getItem("chatroom.nick") || "";

  function line(className, parts) {
    const item = document.createElement("li");
    item.className = className;
    for (const [cls, text] of parts) {
      const span = document.createElement("span");
      span.className = cls;
      span.textContent = text;
      item.appendChild(span);
    }
    list.appendChild(item);
    item.scrollIntoView({block: "end"});
  }

  function showUser(frame) {
    if (seen.has(frame.id)) return;
    seen.add(frame.id);
    lastId = Math.max(lastId, frame.id);
    const time = new Date(frame.ts).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
    line("user", [["time", time], ["nick", frame.nick], ["text", frame.message]]);
  }

  function showUsers(names) {
    users.replaceChildren(...names.map((name) => {
      const item = document.createElement("li");
      item.textContent = name;
      return item;
    }));
  }

  const handlers = {
    welcome(frame) { showUsers(frame.users); status.textContent = "connected as " + frame.nick; },
    history(frame) { frame.messages.forEach(showUser); },
    user: showUser,
    sys(frame) { line("sys", [["text", frame.message]]); },
    error(frame) { line("error", [["text", frame.message]]); },
  };

  function connect() {
    const nick = nickInput.value.trim();
    const params = new URLSearchParams({room});
    if (nick) params.set("nick", nick);
    if (lastId) params.set("since", String(lastId));
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${location.host}/ws?${params}`);
    socket.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      const handle = handlers[frame.type];
      if (handle) handle(frame);
    };
    socket.onclose = (event) => {
      status.textContent = "disconnected (" + event.code + ")";
    };
  }

  document.getElementById("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = textInput.value;
    if (!text.trim() || !socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({type: "message", message: text}));
    textInput.value = "";
  });
  nickInput.addEventListener("change", () => {
    localStorage.setItem("chatroom.nick", nickInput.value.trim());
    if (socket) socket.close();
    connect();
  });
  connect();
})();
