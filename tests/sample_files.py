"""Files for the tests that send them: a picture, a sound, a PDF, and a video the browser records.

Made when asked, so that no binary sample lives in the repository.
"""

from __future__ import annotations

import base64
import io
import math
import struct
import wave

from PIL import Image, ImageDraw
from playwright.sync_api import Page

# A DataTransfer holding files given as {name, type, b64} (see payload): what a drop or a paste carries.
DATA_TRANSFER = """(files) => {
  const transfer = new DataTransfer();
  for (const f of files) {
    const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], f.name, {type: f.type}));
  }
  return transfer;
}"""

# A short WebM video recorded from a canvas by the browser itself (a moving yellow disc on blue).
RECORD_VIDEO = """() => new Promise((resolve) => {
  const canvas = document.createElement("canvas");
  canvas.width = 320;
  canvas.height = 180;
  const g = canvas.getContext("2d");
  let step = 0;
  const draw = () => {
    g.fillStyle = "#1d3f8f";
    g.fillRect(0, 0, 320, 180);
    g.fillStyle = "#ffc800";
    g.beginPath();
    g.arc(70 + step * 5, 90, 40, 0, 7);
    g.fill();
    step += 1;
  };
  draw();
  const timer = setInterval(draw, 40);
  const recorder = new MediaRecorder(canvas.captureStream(25), {mimeType: "video/webm;codecs=vp8"});
  const parts = [];
  recorder.ondataavailable = (event) => parts.push(event.data);
  recorder.onstop = async () => {
    clearInterval(timer);
    const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
    let text = "";
    for (const byte of bytes) text += String.fromCharCode(byte);
    resolve(btoa(text));
  };
  recorder.start();
  setTimeout(() => recorder.stop(), 800);
})"""


def picture(width: int = 1200, height: int = 800, colour: str = "#2a5ca8") -> bytes:
    """A PNG photo-like picture: a sun over the sea."""
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 2 // 3, width, height), fill="#0f6d8c")
    draw.ellipse((width // 3, height // 6, width // 3 + height // 3, height // 2), fill="#ffc800")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def tone(seconds: float = 1.0) -> bytes:
    """A WAV file: an A (440 Hz) for ``seconds``."""
    rate = 8000
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        samples = (int(12000 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(int(rate * seconds)))
        sound.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n" + b"%" * 20_000


def payload(name: str, content_type: str, data: bytes) -> dict[str, str]:
    """A file as DATA_TRANSFER takes it."""
    return {"name": name, "type": content_type, "b64": base64.b64encode(data).decode()}


def video(page: Page) -> bytes:
    """A WebM of under a second, recorded by ``page``'s browser (RECORD_VIDEO)."""
    return base64.b64decode(page.evaluate(RECORD_VIDEO))
