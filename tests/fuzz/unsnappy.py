#!/usr/bin/env python3
"""unsnappy.py -- decodes a snappy block-format file (stdin to stdout).

For the fuzz seeds: the harness can take an uncompressed protobuf body and
compress it itself, so that mutations land in the protobuf rather than in
snappy's framing. Format: github.com/google/snappy format_description.txt.
"""
import sys


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def unsnappy(b):
    n, i = varint(b, 0)
    out = bytearray()
    while i < len(b):
        tag = b[i]
        i += 1
        kind = tag & 3
        if kind == 0:  # literal
            ln = tag >> 2
            if ln >= 60:
                nb = ln - 59
                ln = int.from_bytes(b[i:i + nb], "little")
                i += nb
            ln += 1
            out += b[i:i + ln]
            i += ln
            continue
        if kind == 1:
            ln = 4 + ((tag >> 2) & 7)
            off = ((tag >> 5) << 8) | b[i]
            i += 1
        elif kind == 2:
            ln = (tag >> 2) + 1
            off = int.from_bytes(b[i:i + 2], "little")
            i += 2
        else:
            ln = (tag >> 2) + 1
            off = int.from_bytes(b[i:i + 4], "little")
            i += 4
        for _ in range(ln):
            out.append(out[-off])
    if len(out) != n:
        sys.exit("unsnappy: length mismatch")
    return bytes(out)


if __name__ == "__main__":
    sys.stdout.buffer.write(unsnappy(sys.stdin.buffer.read()))
