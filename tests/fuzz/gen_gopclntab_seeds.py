#!/usr/bin/env python3
"""Write small, valid seeds for tests/fuzz/fuzz_gopclntab.c into a directory.

Each seed is a pcln table built by hand in one of the layouts of runtime/symtab.go
(Go 1.16-1.17 magic 0xfffffffa, 1.18-1.19 0xfffffff0, 1.20+ 0xfffffff1, and the
Go 1.26 case with pcHeader.textStart 0), plus writable data holding .go.buildinfo
(old pointer format or 1.18+ inline strings), runtime.moduledata, or only a
runtime.buildVersion string header. The harness input format is described at the
top of fuzz_gopclntab.c; mode 0 seeds carry the same synthetic ELF whole.

usage: gen_gopclntab_seeds.py OUTDIR
"""
import os
import struct
import sys

RO_VADDR = 0x500000
RW_VADDR = 0x600000
TEXT = RO_VADDR  # function entries land in the read-only segment, so reads work

FUNCS = [  # name, size, file index, first line
    ("runtime.gopark", 0x140, 0, 340),
    ("runtime.ready", 0x220, 0, 800),
    ("main.worker", 0x40, 1, 9),
    ("main.main", 0x67, 1, 13),
]
FILES = [b"runtime/proc.go", b"/tmp/main.go"]


def uvarint(x):
    out = bytearray()
    while True:
        b = x & 0x7F
        x >>= 7
        if x:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def zigzag(d):
    return (d << 1) if d >= 0 else ((-d - 1) << 1) | 1


def pcvalue(steps):
    """steps: [(value, pc bytes)], value starting from -1."""
    out, val = bytearray(), -1
    for v, n in steps:
        out += uvarint(zigzag(v - val)) + uvarint(n)
        val = v
    return bytes(out) + b"\0"


def pcln(layout, text_start):
    names = bytearray()
    nameoffs = []
    for name, *_ in FUNCS:
        nameoffs.append(len(names))
        names += name.encode() + b"\0"
    filetab = bytearray()
    cutab = bytearray()
    for f in FILES:
        cutab += struct.pack("<I", len(filetab))
        filetab += f + b"\0"
    pctab = bytearray(b"\0")  # offset 0 means "no table"
    tables = []
    for name, size, fileno, line in FUNCS:
        pcfile = len(pctab)
        pctab += pcvalue([(fileno, size)])
        pcline = len(pctab)
        pctab += pcvalue([(line, size // 2), (line + 1, size - size // 2)])
        tables.append((pcfile, pcline))

    hdr_len = 64 if layout == 116 else 72
    off = hdr_len
    funcname_off = off
    off += len(names)
    cu_off = off
    off += len(cutab)
    filetab_off = off
    off += len(filetab)
    pctab_off = off
    off += len(pctab)
    off = (off + 7) & ~7
    ftab_off = off

    n = len(FUNCS)
    ent = 16 if layout == 116 else 8
    funcs = bytearray()
    ftab = bytearray()
    entry = TEXT
    funcoffs = []
    for i, (name, size, fileno, line) in enumerate(FUNCS):
        funcoffs.append((n + 1) * ent + len(funcs))
        pcfile, pcline = tables[i]
        if layout == 116:
            f = struct.pack("<QiiIIIIII", entry, nameoffs[i], 0, 0, 0, pcfile, pcline, 0, 0)
            f += bytes([0, 0, 0, 0])
        else:
            f = struct.pack("<IiiIIIIII", entry - TEXT, nameoffs[i], 0, 0, 0, pcfile, pcline, 0, 0)
            if layout >= 120:
                f += struct.pack("<i", line)
            f += bytes([0, 0, 0, 0])
        f += b"\0" * ((-len(f)) % 8)
        funcs += f
        entry += size
    end = entry
    entry = TEXT
    for i, (name, size, *_) in enumerate(FUNCS):
        if layout == 116:
            ftab += struct.pack("<QQ", entry, funcoffs[i])
        else:
            ftab += struct.pack("<II", entry - TEXT, funcoffs[i])
        entry += size
    ftab += struct.pack("<QQ", end, 0) if layout == 116 else struct.pack("<II", end - TEXT, 0)

    magic = {116: 0xFFFFFFFA, 118: 0xFFFFFFF0, 120: 0xFFFFFFF1}[min(layout, 120)]
    hdr = struct.pack("<IBBBBqQ", magic, 0, 0, 1, 8, n, len(FILES))
    if layout != 116:
        hdr += struct.pack("<Q", text_start)
    hdr += struct.pack("<QQQQQ", funcname_off, cu_off, filetab_off, pctab_off, ftab_off)
    tab = bytearray(hdr + names + cutab + filetab + pctab)
    tab += b"\0" * (ftab_off - len(tab))
    tab += ftab + funcs
    offs = dict(funcname=funcname_off, cu=cu_off, filetab=filetab_off, pctab=pctab_off,
                ftab=ftab_off, names=len(names), cutab=len(cutab), files=len(filetab),
                pcs=len(pctab), nftab=n + 1, end=end)
    return bytes(tab), offs


def moduledata(offs, size):
    def sl(off, length):
        return struct.pack("<QQQ", RO_VADDR + off, length, length)

    md = struct.pack("<Q", RO_VADDR)
    md += sl(offs["funcname"], offs["names"]) + sl(offs["cu"], offs["cutab"] // 4)
    md += sl(offs["filetab"], offs["files"]) + sl(offs["pctab"], offs["pcs"])
    md += sl(offs["ftab"], size - offs["ftab"]) + sl(offs["ftab"], offs["nftab"])
    md += struct.pack("<QQQQQ", 0, TEXT, offs["end"], TEXT, offs["end"])  # findfunctab..etext
    return md


def writable(kind, version, offs, tab_len):
    rw = bytearray(0x300)
    magic = b"\xff Go buildinf:"
    if kind == "old-buildinfo":  # Go 1.13-1.17: pointers to string headers
        rw[0:32] = magic + bytes([8, 0]) + struct.pack("<QQ", RW_VADDR + 0x40, 0)
        rw[0x40:0x50] = struct.pack("<QQ", RW_VADDR + 0x60, len(version))
        rw[0x60:0x60 + len(version)] = version
    elif kind == "inline-buildinfo":  # Go 1.18+: flags & 2, varint-prefixed strings
        blob = magic + bytes([8, 2]) + b"\0" * 16 + uvarint(len(version)) + version + uvarint(0)
        rw[0:len(blob)] = blob
    else:  # no .go.buildinfo: only runtime.buildVersion, a string header in the data
        rw[0x200:0x210] = struct.pack("<QQ", RW_VADDR + 0x220, len(version))
        rw[0x220:0x220 + len(version)] = version
    md = moduledata(offs, tab_len)
    rw[0x100:0x100 + len(md)] = md
    return bytes(rw)


def wrap_elf(ro, rw):
    """The ELF fuzz_gopclntab.c's wrap() makes for mode 1 (sections included)."""
    shstr = b"\0.gopclntab\0.go.buildinfo\0.go.module\0.noptrdata\0.text\0.shstrtab\0"

    def name(n):
        return shstr.index(b"\0" + n + b"\0") + 1

    ro_off = 64 + 2 * 56
    rw_off = ro_off + len(ro)
    str_off = rw_off + len(rw)
    sh_off = (str_off + len(shstr) + 7) & ~7
    eh = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    eh += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0, 64, sh_off, 0, 64, 56, 2, 64, 7, 6)
    ph = struct.pack("<IIQQQQQQ", 1, 5, ro_off, RO_VADDR, RO_VADDR, len(ro), len(ro), 8)
    ph += struct.pack("<IIQQQQQQ", 1, 6, rw_off, RW_VADDR, RW_VADDR, len(rw), len(rw), 8)
    img = bytearray(eh + ph + ro + rw + shstr)
    img += b"\0" * (sh_off - len(img))

    def sh(n, typ, flags, addr, off, size):
        return struct.pack("<IIQQQQIIQQ", n, typ, flags, addr, off, size, 0, 0, 1, 0)

    img += b"\0" * 64
    img += sh(name(b".gopclntab"), 1, 2, RO_VADDR, ro_off, len(ro))
    for n in (b".go.buildinfo", b".go.module", b".noptrdata"):
        img += sh(name(n), 1, 3, RW_VADDR, rw_off, len(rw))
    img += sh(name(b".text"), 1, 6, RO_VADDR, ro_off, len(ro))
    img += sh(name(b".shstrtab"), 3, 0, 0, str_off, len(shstr))
    return bytes(img)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    variants = [  # name, layout, textStart, writable data, version
        ("go116", 116, TEXT, "old-buildinfo", b"go1.16.15"),
        ("go118", 118, TEXT, "inline-buildinfo", b"go1.18.10"),
        ("go120", 120, TEXT, "inline-buildinfo", b"go1.20.4"),
        ("go126", 126, 0, "no-buildinfo", b"go1.26.5"),
    ]
    for name, layout, text_start, kind, version in variants:
        ro, offs = pcln(layout, text_start)
        rw = writable(kind, version, offs, len(ro))
        body = struct.pack("<H", len(ro)) + ro + rw
        for mode in (1, 2):
            with open(os.path.join(out, "seed-%s-mode%d" % (name, mode)), "wb") as f:
                f.write(bytes([mode]) + body)
        with open(os.path.join(out, "seed-%s-mode0" % name), "wb") as f:
            f.write(bytes([0]) + wrap_elf(ro, rw))


if __name__ == "__main__":
    main()
