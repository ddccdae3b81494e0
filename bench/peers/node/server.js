// A Node `ws` broadcast server, for side-by-side figures.
// Same protocol subset as the other peers: GET /ws?room=R&nick=N; every text
// frame is broadcast to the room as a JSON user frame, sender included.
//
//     node bench/peers/node/server.js --port 8003
'use strict';
const http = require('http');
const { WebSocketServer, WebSocket } = require('ws');

const portFlag = process.argv.indexOf('--port');
const port = portFlag > 0 ? Number(process.argv[portFlag + 1]) : 8003;
const rooms = new Map();
let nextId = 1;

const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });

wss.on('connection', (socket, request) => {
  const query = new URL(request.url, 'http://localhost').searchParams;
  const room = query.get('room') || 'lobby';
  const nick = query.get('nick') || 'guest';
  if (!rooms.has(room)) rooms.set(room, new Set());
  const members = rooms.get(room);
  members.add(socket);
  socket.send(JSON.stringify({ type: 'welcome', room, nick }));
  socket.on('message', (data, isBinary) => {
    if (isBinary) return;
    const frame = JSON.stringify({
      type: 'user', id: nextId++, room, nick, message: data.toString(), ts: Date.now(),
    });
    for (const member of members) {
      if (member.readyState === WebSocket.OPEN) member.send(frame);
    }
  });
  socket.on('close', () => members.delete(socket));
});

server.listen(port, '127.0.0.1');
