#!/usr/bin/env python3
"""Three tar layers whose merged tree has about 104,000 entries, for
scripts/bench-tree.sh.

    python3 scripts/bench-tree-image.py OUTDIR

Writes OUTDIR/layer1.tar, layer2.tar, layer3.tar and prints the number of
entries of the merged tree. Deterministic (seeded).

  layer 1  a base of ~100,000 entries in a deep hierarchy shaped like a real
           image: /usr/lib/x86_64-linux-gnu with 5,000 entries side by side
           (the big flat directory the benchmark opens and closes), Python
           site-packages, a Node app's nested node_modules, docs, locales,
           headers, zoneinfo;
  layer 2  3,000 of those files modified and 6,000 files added (some in new
           directories);
  layer 3  2,000 files and 20 directories removed by whiteouts, one
           directory made opaque, 500 files added.

Most files are empty or a few hundred bytes, so the layers stay small
(the scan is not what is measured) while sizes still differ for sorting.
"""

import io
import os
import random
import sys
import tarfile

MTIME = 1_700_000_000
rng = random.Random(14)

SYLLABLES = ["lib", "core", "util", "net", "io", "gtk", "ssl", "crypt", "xml", "json", "py",
             "std", "base", "glib", "z", "pcre", "ffi", "uv", "ev", "curl", "idn", "png",
             "jpeg", "font", "conf", "sql", "lite", "dbus", "sys", "md", "auth", "zip"]
EXTS = [".py", ".pyc", ".js", ".json", ".md", ".txt", ".h", ".so", ".html", ".css", ".mo",
        ".ts", ".map", ".cfg", ""]


def word():
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3)))


def fname():
    return word() + rng.choice(["", "_", "-"]) + word() + rng.choice(EXTS)


def size():
    r = rng.random()
    if r < 0.5:
        return 0
    if r < 0.98:
        return rng.randint(1, 600)
    return rng.randint(600, 20_000)


class Layer:
    def __init__(self, path):
        self.tar = tarfile.open(path, "w", format=tarfile.GNU_FORMAT)
        self.dirs = set()

    def dir(self, path):
        parts = path.split("/")
        for i in range(1, len(parts) + 1):
            p = "/".join(parts[:i])
            if p in self.dirs:
                continue
            self.dirs.add(p)
            info = tarfile.TarInfo(p)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.mtime = MTIME
            self.tar.addfile(info)

    def file(self, path, n=None, mode=0o644):
        d = path.rsplit("/", 1)[0]
        self.dir(d)
        n = size() if n is None else n
        info = tarfile.TarInfo(path)
        info.size = n
        info.mode = mode
        info.mtime = MTIME
        self.tar.addfile(info, io.BytesIO(b"x" * n))

    def close(self):
        self.tar.close()


def subtree(prefix, files, depth):
    """`files` file paths under `prefix`, in nested directories up to `depth`."""
    out = []
    dirs = [prefix]
    while len(out) < files:
        d = rng.choice(dirs)
        if d.count("/") - prefix.count("/") < depth and rng.random() < 0.25:
            dirs.append(f"{d}/{word()}")
            continue
        out.append(f"{d}/{fname()}")
    return out


def base():
    paths = []
    big = "usr/lib/x86_64-linux-gnu"
    for i in range(5000):
        paths.append(f"{big}/lib{word()}{i}.so.{rng.randint(0, 9)}")
    for p in range(850):
        paths += subtree(f"usr/lib/python3.11/site-packages/{word()}{p}", rng.randint(10, 70), 5)
    app = "opt/app/node_modules"
    for p in range(1050):
        pkg = f"{app}/{word()}{p}"
        paths += subtree(pkg, rng.randint(5, 40), 4)
        if rng.random() < 0.3:
            paths += subtree(f"{pkg}/node_modules/{word()}", rng.randint(3, 20), 3)
    for p in range(600):
        paths += subtree(f"usr/share/doc/{word()}{p}", rng.randint(1, 8), 2)
    for lang in range(120):
        for p in range(40):
            paths.append(f"usr/share/locale/l{lang}/LC_MESSAGES/{word()}{p}.mo")
    paths += subtree("usr/include", 3000, 4)
    for region in ["Africa", "America", "Asia", "Europe", "Pacific", "Etc"]:
        for z in range(100):
            paths.append(f"usr/share/zoneinfo/{region}/{word().capitalize()}{z}")
    for b in range(600):
        paths.append(f"usr/bin/{word()}{b}")
    paths += subtree("etc", 800, 3)
    paths += subtree("var/lib", 1500, 4)
    return sorted(set(paths))


def main():
    out = sys.argv[1]
    files = base()
    l1 = Layer(os.path.join(out, "layer1.tar"))
    for p in files:
        l1.file(p, mode=0o755 if p.startswith("usr/bin/") else 0o644)
    l1.close()
    live = set(files)
    dirs = set(l1.dirs)

    l2 = Layer(os.path.join(out, "layer2.tar"))
    l2.dirs = set()
    for p in rng.sample(files, 3000):
        l2.file(p, n=rng.randint(1, 3000))
    added = []
    for p in range(150):
        added += subtree(f"opt/app/node_modules/{word()}-new{p}", 30, 3)
    added += [f"usr/lib/x86_64-linux-gnu/libnew{i}.so" for i in range(1500)]
    for p in sorted(set(added) - live):
        l2.file(p)
        live.add(p)
    l2.close()
    dirs |= l2.dirs

    l3 = Layer(os.path.join(out, "layer3.tar"))
    l3.dirs = set()
    removed = set(rng.sample(sorted(live), 2000))
    for p in sorted(removed):
        d, name = p.rsplit("/", 1)
        l3.dir(d)
        info = tarfile.TarInfo(f"{d}/.wh.{name}")
        info.mtime = MTIME
        l3.tar.addfile(info)
    live -= removed
    gone = rng.sample(sorted(d for d in dirs if d.startswith("usr/share/doc/") and d.count("/") == 3), 20)
    for d in gone:
        parent, name = d.rsplit("/", 1)
        l3.dir(parent)
        info = tarfile.TarInfo(f"{parent}/.wh.{name}")
        info.mtime = MTIME
        l3.tar.addfile(info)
        live = {p for p in live if not p.startswith(d + "/")}
        dirs = {x for x in dirs if x != d and not x.startswith(d + "/")}
    opaque = "etc/" + sorted(d[4:] for d in dirs if d.startswith("etc/") and d.count("/") == 1)[0]
    l3.dir(opaque)
    info = tarfile.TarInfo(f"{opaque}/.wh..wh..opq")
    info.mtime = MTIME
    l3.tar.addfile(info)
    live = {p for p in live if not p.startswith(opaque + "/")}
    dirs = {x for x in dirs if not x.startswith(opaque + "/")}
    for i in range(500):
        p = f"{opaque}/{word()}{i}.conf"
        l3.file(p)
        live.add(p)
    l3.close()
    dirs |= l3.dirs
    print(len(live) + len(dirs))


main()
