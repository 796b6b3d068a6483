#!/usr/bin/python3
"""Build deliberately wrong (or deliberately odd) signed STM32 images for the
tests, independently of the project's C code (rules from the spec:
../shared/spec/stm32-image.md, "What is hashed and signed").

forge.py CONSTRUCTION PREPARED KEY.pem OUT
  correct    sign the digest of the ROM's signed segments
  high-s     the same, with s replaced by n - s when s is low (still valid)
  contiguous sign [first segment start, end): 0x78..0x7F (v2.2) or 0x98..0x9F
             (v2.3) included (the public MP23 case: the ROM rejects it)
  eof        append zeros to a 32-byte multiple past image_length and sign the
             segments run to the end of the file
  double     sign H(digest) (KMS MessageType=RAW on a digest)
  header     sign the segments cut at the header end
  payload    sign the payload only
  offset0    sign [0, end) with the signature field zero
  short-r    a signature whose r has a leading zero, written one byte short
  xy-table   table entry pk_idx replaced by SHA-256(X||Y), then signed correctly
"""
import hashlib
import struct
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils


def layout(img):
    """(version, header size, signed segments with None for the end, sig field, auth ext offset)."""
    if struct.unpack_from("<I", img, 0x68)[0] == 0x00020300:
        return "2.3", 0xA0 + struct.unpack_from("<I", img, 0x88)[0], [(0x68, 0x98), (0xA0, None)], 96, 0xA0, 0x6C
    v = struct.unpack_from("<I", img, 0x48)[0]
    if v == 0x00010000:
        return "1.0", 0x100, [(0x48, None)], 64, None, 0x4C
    hs = 0x80 + struct.unpack_from("<I", img, 0x68)[0]
    if v == 0x00020200:
        return "2.2", hs, [(0x48, 0x78), (0x80, None)], 64, 0x80, 0x4C
    return "2.0", hs, [(0x48, None)], 64, 0x80, 0x4C


def digest_of(img, segs, h):
    m = h()
    for a, b in segs:
        m.update(bytes(img[a:b]))
    return m.digest()


def main():
    what, src, keyfile, out = sys.argv[1:5]
    img = bytearray(open(src, "rb").read())
    key = serialization.load_pem_private_key(open(keyfile, "rb").read(), None)
    w = (key.curve.key_size + 7) // 8
    n = {32: 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551}.get(w)
    h, ph = (hashlib.sha384, hashes.SHA384()) if w == 48 else (hashlib.sha256, hashes.SHA256())
    ver, hs, segs, sigfield, auth, off_len = layout(img)
    end = hs + struct.unpack_from("<I", img, off_len)[0]
    segs = [(a, b if b is not None else end) for a, b in segs]
    if what == "xy-table":
        pk_idx = struct.unpack_from("<I", img, auth + 8)[0]
        keyfield = 96 if ver == "2.3" else 64
        xy = bytes(img[auth + 20:auth + 20 + 2 * w])
        t = auth + 20 + keyfield + 32 * pk_idx
        img[t:t + 32] = hashlib.sha256(xy).digest()
    if what == "eof":
        img += bytes((-len(img)) % 32 or 32)
        segs[-1] = (segs[-1][0], len(img))
    if what == "contiguous":
        segs = [(segs[0][0], end)]
    if what == "header":
        segs = [(a, min(b, hs)) for a, b in segs if a < hs]
    if what == "payload":
        segs = [(hs, end)]
    if what == "offset0":
        img[4:4 + sigfield] = bytes(sigfield)
        segs = [(0, end)]
    digest = digest_of(img, segs, h)
    if what == "double":
        digest = h(digest).digest()
    der = key.sign(digest, ec.ECDSA(utils.Prehashed(ph)))
    r, s = utils.decode_dss_signature(der)
    if what == "high-s" and n and s < n // 2:
        s = n - s
    if what == "short-r":
        while r >= 1 << (8 * w - 8):
            r, s = utils.decode_dss_signature(key.sign(digest, ec.ECDSA(utils.Prehashed(ph))))
        sig = r.to_bytes(w - 1, "big") + s.to_bytes(w, "big") + b"\0"
    else:
        sig = r.to_bytes(w, "big") + s.to_bytes(w, "big")
    img[4:4 + len(sig)] = sig
    open(out, "wb").write(img)


if __name__ == "__main__":
    main()
