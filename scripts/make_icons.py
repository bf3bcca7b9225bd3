#!/usr/bin/env python3
"""Draw the waiter app's PNG icons (src/ui/waiter/icon-{192,512}.png) with no dependencies.

The same design as src/ui/shared/icon.svg: a dark rounded square, a white plate ring and a
blue centre. Run it again after changing the design; the PNGs are committed.
"""
import struct
import zlib
from pathlib import Path

BG = (0x1D, 0x24, 0x30)
WHITE = (0xFF, 0xFF, 0xFF)
BLUE = (0x14, 0x63, 0xD8)
AMBER = (0xF0, 0xA3, 0x0A)


def colour_at(x, y):
    """Colour of the 64x64 design at (x, y), or None outside the rounded square."""
    r = 14
    cx = min(max(x, r), 64 - r)
    cy = min(max(y, r), 64 - r)
    if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
        return None
    d = ((x - 32) ** 2 + (y - 34) ** 2) ** 0.5
    if d <= 9:
        return BLUE
    if 15 <= d <= 19:
        return WHITE
    if 11 <= x <= 13 and 11 <= y <= 25:
        return AMBER
    if 50.5 <= x <= 53 and 13 <= y <= 34:
        return AMBER
    return BG


def png(size):
    ss = 4
    rows = []
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(ss):
                for sx in range(ss):
                    x = (px + (sx + 0.5) / ss) * 64 / size
                    y = (py + (sy + 0.5) / ss) * 64 / size
                    c = colour_at(x, y)
                    if c:
                        acc[0] += c[0]
                        acc[1] += c[1]
                        acc[2] += c[2]
                        acc[3] += 255
            n = ss * ss
            a = acc[3] // n
            if a:
                k = acc[3] // 255
                row += bytes([acc[0] // k, acc[1] // k, acc[2] // k, a])
            else:
                row += bytes([0, 0, 0, 0])
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "src/ui/waiter"
    for size in (192, 512):
        (out / f"icon-{size}.png").write_bytes(png(size))
        print(f"wrote icon-{size}.png")
