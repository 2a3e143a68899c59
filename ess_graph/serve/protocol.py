"""Framing of the messages between the HTTP process and its worker processes.

A message is a JSON header and a binary body::

    >I  header length | header (UTF-8 JSON) | >Q body length | body

The same framing is used in both directions over a Unix socket pair.
"""
from __future__ import annotations

import json
import socket
import struct

_H = struct.Struct(">I")
_B = struct.Struct(">Q")


def encode(header: dict, body: bytes = b"") -> bytes:
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    return b"".join((_H.pack(len(h)), h, _B.pack(len(body)), body))


def _recv_exact(f, n: int) -> bytes:
    data = f.read(n)
    if data is None or len(data) != n:
        raise EOFError("connection closed")
    return data


def read_blocking(f) -> tuple[dict, bytes]:
    """Read one message from a binary file object (worker side)."""
    (hl,) = _H.unpack(_recv_exact(f, _H.size))
    header = json.loads(_recv_exact(f, hl))
    (bl,) = _B.unpack(_recv_exact(f, _B.size))
    body = _recv_exact(f, bl) if bl else b""
    return header, body


async def read_async(reader) -> tuple[dict, bytes]:
    """Read one message from an asyncio StreamReader (server side)."""
    (hl,) = _H.unpack(await reader.readexactly(_H.size))
    header = json.loads(await reader.readexactly(hl))
    (bl,) = _B.unpack(await reader.readexactly(_B.size))
    body = await reader.readexactly(bl) if bl else b""
    return header, body


def send_blocking(sock: socket.socket, header: dict, body: bytes = b"") -> None:
    sock.sendall(encode(header, body))
