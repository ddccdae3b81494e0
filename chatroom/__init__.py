"""chatroom: a real-time, multi-room web chat server on Tornado."""

__version__ = "0.1.0"
