#!/usr/bin/python3
"""tamper_release.py ARCHIVE OUTDIR — for every file of a release archive,
writes OUTDIR/<k>.tar.gz: the same archive (same entries, headers and pax
attributes) with one byte of that file changed, and prints "<k> <path>" per
line. Also writes OUTDIR/dotdot.tar.gz (an extra entry ../evil),
OUTDIR/absolute.tar.gz (an extra entry /tmp/evil) and OUTDIR/link.tar.gz (a
symbolic link pointing out of the top directory). Used by tests/cli.sh;
python's tarfile is an independent writer of the archives."""
import io
import sys
import tarfile


def copy(src, dst, change=None, extra=None):
    with tarfile.open(src) as t, tarfile.open(dst, "w:gz", format=tarfile.PAX_FORMAT) as o:
        for m in t.getmembers():
            data = t.extractfile(m).read() if m.isfile() else None
            if change is not None and m.name == change:
                b = bytearray(data)
                i = len(b) // 2
                b[i] = (b[i] + 1) % 256
                data = bytes(b)
            o.addfile(m, io.BytesIO(data) if data is not None else None)
        if extra is not None:
            ti, data = extra
            o.addfile(ti, io.BytesIO(data) if data is not None else None)


def main():
    src, out = sys.argv[1], sys.argv[2]
    with tarfile.open(src) as t:
        files = [m.name for m in t.getmembers() if m.isfile()]
    for k, name in enumerate(files):
        copy(src, "%s/%d.tar.gz" % (out, k), change=name)
        print(k, name)
    top = files[0].split("/")[0]
    for tag, name in (("dotdot", top + "/../evil"), ("absolute", "/tmp/evil")):
        ti = tarfile.TarInfo(name)
        ti.size = 4
        copy(src, "%s/%s.tar.gz" % (out, tag), extra=(ti, b"evil"))
    ti = tarfile.TarInfo(top + "/link")
    ti.type = tarfile.SYMTYPE
    ti.linkname = "../../etc/passwd"
    copy(src, "%s/link.tar.gz" % out, extra=(ti, None))


if __name__ == "__main__":
    main()
