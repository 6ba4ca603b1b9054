"""rwenc.py -- Prometheus remote-write bodies for the tests, standard library
only.

A minimal protobuf writer and reader (varints, length-delimited fields,
fixed64 doubles) for the messages remote write carries:

  1.0 (prompb remote.proto / types.proto, package prometheus)
      WriteRequest{repeated TimeSeries timeseries = 1}
      TimeSeries{repeated Label labels = 1; repeated Sample samples = 2}
      Label{string name = 1; string value = 2}
      Sample{double value = 1; int64 timestamp = 2}
  2.0 (io.prometheus.write.v2)
      Request{repeated string symbols = 4; repeated TimeSeries timeseries = 5}
      TimeSeries{repeated uint32 labels_refs = 1 [packed]; repeated Sample
                 samples = 2}

and snappy's block format: a literal-only compressor (what every snappy
decoder must accept), a full decompressor (literals and copies with 1-, 2-
and 4-byte offsets), and a forger of length headers.

A series is (labels, samples): labels a dict (sent sorted by name, as the
spec wants) or a list of (name, value) pairs (sent in that order, so tests
can break the rules); samples a list of (value, timestamp_ms), value a float
or Raw(bits) for an exact bit pattern such as STALE."""
import struct

__all__ = [
    "Raw", "STALE", "STALE_BITS", "PLAIN_NAN", "PLAIN_NAN_BITS",
    "uvarint", "snappy_compress", "snappy_decompress", "snappy_forged",
    "encode_v1", "encode_v2", "decode_v1", "decode_v2", "write_body",
    "is_stale", "V1_HEADERS", "V2_HEADERS",
]

STALE_BITS = 0x7ff0000000000002      # Prometheus' StaleNaN
PLAIN_NAN_BITS = 0x7ff8000000000001  # a NaN that is not a staleness marker

V1_HEADERS = {
    "Content-Encoding": "snappy",
    "Content-Type": "application/x-protobuf",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
    "User-Agent": "Prometheus/2.42.0+ds",
}
V2_HEADERS = {
    "Content-Encoding": "snappy",
    "Content-Type":
        "application/x-protobuf;proto=io.prometheus.write.v2.Request",
    "X-Prometheus-Remote-Write-Version": "2.0.0",
}


class Raw:
    """A sample value given as its 64 bits, written as they are (Python
    floats are not trusted to carry a NaN's payload)."""
    __slots__ = ("bits",)

    def __init__(self, bits):
        self.bits = bits & 0xFFFFFFFFFFFFFFFF

    def __eq__(self, other):
        return isinstance(other, Raw) and other.bits == self.bits

    def __hash__(self):
        return hash(self.bits)

    def __repr__(self):
        return "Raw(0x%016x)" % self.bits


STALE = Raw(STALE_BITS)
PLAIN_NAN = Raw(PLAIN_NAN_BITS)


def _bits(value):
    if isinstance(value, Raw):
        return value.bits
    return struct.unpack("<Q", struct.pack("<d", float(value)))[0]


def is_stale(value):
    return _bits(value) == STALE_BITS


# --- protobuf writer -------------------------------------------------------

def uvarint(n):
    """Unsigned base-128 varint; negative numbers as 64-bit two's
    complement (protobuf's int64)."""
    if n < 0:
        n &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire):
    return uvarint(field << 3 | wire)


def f_varint(field, n):
    return _key(field, 0) + uvarint(n)


def f_fixed64(field, bits):
    return _key(field, 1) + struct.pack("<Q", bits)


def f_bytes(field, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return _key(field, 2) + uvarint(len(data)) + data


def _labels(labels):
    return sorted(labels.items(), key=lambda kv: kv[0].encode()) \
        if isinstance(labels, dict) else list(labels)


def _sample(value, ts):
    """Sample{value=1, timestamp=2}; proto3 leaves out zero values (+0.0 and
    0), as Prometheus' gogo-generated code does."""
    out = b""
    bits = _bits(value)
    if bits != 0:
        out += f_fixed64(1, bits)
    if ts != 0:
        out += f_varint(2, ts)
    return out


def encode_v1(series):
    """A prometheus.WriteRequest (uncompressed protobuf bytes)."""
    out = bytearray()
    for labels, samples in series:
        ts = bytearray()
        for name, value in _labels(labels):
            lab = b""
            if name:
                lab += f_bytes(1, name)
            if value:
                lab += f_bytes(2, value)
            ts += f_bytes(1, lab)
        for value, t in samples:
            ts += f_bytes(2, _sample(value, t))
        out += f_bytes(1, bytes(ts))
    return bytes(out)


def encode_v2(series):
    """An io.prometheus.write.v2.Request: symbols in order of first use,
    symbols[0] = "", labels_refs packed."""
    symbols, index = [""], {"": 0}

    def ref(s):
        if s not in index:
            index[s] = len(symbols)
            symbols.append(s)
        return index[s]

    tss = []
    for labels, samples in series:
        refs = b""
        for name, value in _labels(labels):
            refs += uvarint(ref(name)) + uvarint(ref(value))
        ts = b""
        if refs:
            ts += f_bytes(1, refs)
        for value, t in samples:
            ts += f_bytes(2, _sample(value, t))
        tss.append(ts)
    out = bytearray()
    for s in symbols:
        out += f_bytes(4, s)
    for ts in tss:
        out += f_bytes(5, ts)
    return bytes(out)


# --- snappy block format ---------------------------------------------------

def _literal_tag(n):
    """The tag of a literal of n (>= 1) bytes."""
    m = n - 1
    if m < 60:
        return bytes([m << 2])
    for nbytes, code in ((1, 60), (2, 61), (3, 62), (4, 63)):
        if m < 1 << (8 * nbytes):
            return bytes([code << 2]) + m.to_bytes(nbytes, "little")
    raise ValueError("literal too long")


def snappy_compress(data, chunk=65536):
    """Snappy block format with literals only: the uncompressed length as a
    varint, then the data in literals of at most chunk bytes."""
    data = bytes(data)
    out = bytearray(uvarint(len(data)))
    for i in range(0, len(data), chunk):
        piece = data[i:i + chunk]
        out += _literal_tag(len(piece)) + piece
    return bytes(out)


def snappy_forged(declared, payload=b""):
    """A length header declaring `declared` decoded bytes followed by
    payload as one literal (so a decoder that trusts the header would
    allocate `declared` bytes for a tiny body)."""
    out = uvarint(declared)
    if payload:
        out += _literal_tag(len(payload)) + payload
    return out


def _read_uvarint(buf, i):
    n = shift = 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            return n, i
        shift += 7
        if shift >= 64:
            raise ValueError("varint too long")


def snappy_decompress(buf):
    """Decodes a snappy block: literals and copies (1-, 2- and 4-byte
    offsets, overlapping copies allowed)."""
    buf = bytes(buf)
    want, i = _read_uvarint(buf, 0)
    out = bytearray()
    while i < len(buf):
        tag = buf[i]
        i += 1
        kind = tag & 3
        if kind == 0:                       # literal
            n = tag >> 2
            if n >= 60:
                nb = n - 59
                if i + nb > len(buf):
                    raise ValueError("truncated literal length")
                n = int.from_bytes(buf[i:i + nb], "little")
                i += nb
            n += 1
            if i + n > len(buf):
                raise ValueError("truncated literal")
            out += buf[i:i + n]
            i += n
            continue
        if kind == 1:                       # copy, 1-byte offset
            if i + 1 > len(buf):
                raise ValueError("truncated copy")
            length = 4 + ((tag >> 2) & 7)
            offset = ((tag >> 5) << 8) | buf[i]
            i += 1
        elif kind == 2:                     # copy, 2-byte offset
            if i + 2 > len(buf):
                raise ValueError("truncated copy")
            length = 1 + (tag >> 2)
            offset = int.from_bytes(buf[i:i + 2], "little")
            i += 2
        else:                               # copy, 4-byte offset
            if i + 4 > len(buf):
                raise ValueError("truncated copy")
            length = 1 + (tag >> 2)
            offset = int.from_bytes(buf[i:i + 4], "little")
            i += 4
        if offset == 0 or offset > len(out):
            raise ValueError("bad copy offset %d at output %d"
                             % (offset, len(out)))
        start = len(out) - offset
        for k in range(length):             # may overlap its own output
            out.append(out[start + k])
    if len(out) != want:
        raise ValueError("decoded %d bytes, header says %d" % (len(out), want))
    return bytes(out)


# --- protobuf reader -------------------------------------------------------

def fields(buf):
    """[(field number, wire type, value)] of one message: an int for
    varints, bytes for length-delimited fields, the 64 or 32 bits as an int
    for fixed64/fixed32."""
    out, i = [], 0
    while i < len(buf):
        key, i = _read_uvarint(buf, i)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise ValueError("field number 0")
        if wire == 0:
            v, i = _read_uvarint(buf, i)
        elif wire == 1:
            if i + 8 > len(buf):
                raise ValueError("truncated fixed64")
            v = struct.unpack_from("<Q", buf, i)[0]
            i += 8
        elif wire == 2:
            n, i = _read_uvarint(buf, i)
            if i + n > len(buf):
                raise ValueError("truncated bytes")
            v = bytes(buf[i:i + n])
            i += n
        elif wire == 5:
            if i + 4 > len(buf):
                raise ValueError("truncated fixed32")
            v = struct.unpack_from("<I", buf, i)[0]
            i += 4
        else:
            raise ValueError("wire type %d" % wire)
        out.append((field, wire, v))
    return out


def _int64(n):
    return n - (1 << 64) if n >= 1 << 63 else n


def _decode_sample(buf):
    bits, ts = 0, 0
    for f, w, v in fields(buf):
        if f == 1 and w == 1:
            bits = v
        elif f == 2 and w == 0:
            ts = _int64(v)
    is_nan = (bits >> 52) & 0x7FF == 0x7FF and bits & ((1 << 52) - 1)
    if is_nan:
        value = Raw(bits)           # NaNs keep their exact bits
    else:
        value = struct.unpack("<d", struct.pack("<Q", bits))[0]
    return value, ts


def decode_v1(buf):
    """[(labels as a list of (name, value)), [(value, ts)]] of a
    prometheus.WriteRequest."""
    series = []
    for f, w, v in fields(buf):
        if f != 1 or w != 2:
            continue
        labels, samples = [], []
        for tf, tw, tv in fields(v):
            if tf == 1 and tw == 2:
                name = value = ""
                for lf, lw, lv in fields(tv):
                    if lf == 1 and lw == 2:
                        name = lv.decode("utf-8")
                    elif lf == 2 and lw == 2:
                        value = lv.decode("utf-8")
                labels.append((name, value))
            elif tf == 2 and tw == 2:
                samples.append(_decode_sample(tv))
        series.append((labels, samples))
    return series


def decode_v2(buf):
    """The same shape as decode_v1, from an io.prometheus.write.v2.Request
    (labels resolved through the symbols)."""
    symbols, raw = [], []
    for f, w, v in fields(buf):
        if f == 4 and w == 2:
            symbols.append(v.decode("utf-8"))
        elif f == 5 and w == 2:
            raw.append(v)
    series = []
    for ts in raw:
        refs, samples = [], []
        for f, w, v in fields(ts):
            if f == 1 and w == 2:           # packed
                i = 0
                while i < len(v):
                    r, i = _read_uvarint(v, i)
                    refs.append(r)
            elif f == 1 and w == 0:         # unpacked, also legal
                refs.append(v)
            elif f == 2 and w == 2:
                samples.append(_decode_sample(v))
        labels = [(symbols[refs[k]], symbols[refs[k + 1]])
                  for k in range(0, len(refs) - 1, 2)]
        series.append((labels, samples))
    return series


def write_body(series, version=1):
    """The snappy-compressed body of a remote-write request."""
    enc = encode_v1 if version == 1 else encode_v2
    return snappy_compress(enc(series))
