#!/usr/bin/env python3
"""Write a 128-byte EDID 1.3 block that offers exactly one mode, WxH at 60 Hz.

The guest kernel loads it with drm.edid_firmware=edid/r3d-WxH.bin, so that
every DRM client there (kmscube, glmark2-es2-drm, the probe) sees one mode
instead of QEMU's EDID list, whose largest mode some programs pick.
No established or standard timings, no range limits (so the kernel infers no
other modes): one detailed timing and a monitor name.

usage: mkedid.py WIDTH HEIGHT OUTPUT
"""
import struct
import sys


def detailed_timing(w, h, hz=60):
    # reduced-blanking-like timings; a virtual display only needs them valid
    hblank, hso, hsw = 160, 48, 32
    vblank, vso, vsw = 35, 3, 5
    clock = (w + hblank) * (h + vblank) * hz // 10000  # in 10 kHz units
    hmm, vmm = w * 254 // 1000, h * 254 // 1000  # 0.254 mm per pixel (100 dpi)
    d = struct.pack('<H', clock)
    d += bytes([w & 0xFF, hblank & 0xFF, ((w >> 8) << 4) | (hblank >> 8),
                h & 0xFF, vblank & 0xFF, ((h >> 8) << 4) | (vblank >> 8),
                hso & 0xFF, hsw & 0xFF, ((vso & 0xF) << 4) | (vsw & 0xF),
                ((hso >> 8) << 6) | ((hsw >> 8) << 4) | ((vso >> 4) << 2) | (vsw >> 4),
                hmm & 0xFF, vmm & 0xFF, ((hmm >> 8) << 4) | (vmm >> 8),
                0, 0, 0x1E])  # no borders; digital separate sync, +h +v
    assert len(d) == 18
    return d, hmm, vmm


def edid(w, h):
    if not (64 <= w <= 4095 and 64 <= h <= 4095):
        raise ValueError('mode out of range')
    dt, hmm, vmm = detailed_timing(w, h)
    e = bytes([0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0])
    # manufacturer "RMT" (5-bit letters), product 0x3d3d, serial, week/year
    e += struct.pack('>H', (18 << 10) | (13 << 5) | 20)
    e += struct.pack('<HIBB', 0x3D3D, w * 10000 + h, 1, 2024 - 1990)
    e += bytes([1, 3])  # EDID 1.3
    e += bytes([0x80, max(1, hmm // 10), max(1, vmm // 10), 120,  # digital, cm, gamma 2.2
                0x0A])  # RGB colour, preferred timing is the first detailed one
    e += bytes([0xEE, 0x91, 0xA3, 0x54, 0x4C, 0x99, 0x26, 0x0F, 0x50, 0x54])  # sRGB
    e += bytes([0, 0, 0])  # no established timings
    e += bytes([1, 1] * 8)  # no standard timings
    e += dt
    name = ('r3d %dx%d' % (w, h)).encode()[:13]
    e += bytes([0, 0, 0, 0xFC, 0]) + (name + b'\n').ljust(13, b' ')[:13]
    e += bytes([0, 0, 0, 0x10, 0]) + bytes(13)  # dummy descriptors
    e += bytes([0, 0, 0, 0x10, 0]) + bytes(13)
    e += bytes([0])  # no extensions
    assert len(e) == 127
    return e + bytes([(-sum(e)) & 0xFF])


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    with open(sys.argv[3], 'wb') as f:
        f.write(edid(int(sys.argv[1]), int(sys.argv[2])))


if __name__ == '__main__':
    main()
