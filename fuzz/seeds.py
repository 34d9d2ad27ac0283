#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (fuzz/corpus/<target>/seed-*).

Small, hand-made inputs in each target's own input format (see the target's
doc comment): the committed seeds are this script's output, so they can be
regenerated and reviewed. Needs python3 and the zstd command.
Usage: python3 fuzz/seeds.py
"""
import gzip
import hashlib
import io
import json
import os
import struct
import subprocess
import tarfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def tar(members, fmt=tarfile.GNU_FORMAT):
    """A tar of (name, kind, data/target) without tarfile's 10 KiB record padding."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, kind, value in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            info.mode = 0o644
            if kind == "file":
                info.size = len(value)
                t.addfile(info, io.BytesIO(value))
                continue
            info.type = {
                "dir": tarfile.DIRTYPE,
                "symlink": tarfile.SYMTYPE,
                "hardlink": tarfile.LNKTYPE,
                "char": tarfile.CHRTYPE,
                "fifo": tarfile.FIFOTYPE,
            }[kind]
            if kind in ("symlink", "hardlink"):
                info.linkname = value
            if kind == "char":
                info.devmajor, info.devminor = 1, 3
            t.addfile(info)
        end = buf.tell()
    # Members, then the two zero blocks of the end of archive.
    return buf.getvalue()[:end] + b"\0" * 1024


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, stdout=subprocess.PIPE, check=True).stdout


def gz(data):
    return gzip.compress(data, mtime=0)


HEX = "a" * 64
layer_tar = tar([
    ("etc", "dir", None),
    ("etc/hello", "file", b"hello\n"),
    ("etc/.wh.old", "file", b""),
    ("usr/.wh..wh..opq", "file", b""),
    ("bin/sh", "symlink", "/bin/busybox"),
    ("bin/ash", "hardlink", "bin/sh"),
    ("dev/null", "char", None),
    ("run/fifo", "fifo", None),
    ("a/" + "long" * 40 + "/name", "file", b"x" * 10),
])
pax_tar = tar([("p/" + "é" * 60, "file", b"pax"), ("a", "file", b"content of a")], tarfile.PAX_FORMAT)
ustar_tar = tar([("a", "file", b"a" * 700), ("b", "dir", None)], tarfile.USTAR_FORMAT)

# reference
for i, s in enumerate([
    "alpine", "ubuntu:24.04", "library/busybox:latest", "docker.io/library/alpine",
    "ghcr.io/org/app@sha256:" + HEX, "127.0.0.1:5000/team/api:dev",
    "localhost/x:y@sha512:" + "b" * 128, "[::1]:5000/a/b:c", "index.docker.io/x/y", HEX,
    "Upper/case", "a" * 256,
]):
    write("reference", str(i), s)

# digest
for i, s in enumerate(["sha256:" + HEX, "sha512:" + "b" * 128, "sha384:abc", "a+b.c_d:x=y-z", "sha256:"]):
    write("digest", str(i), s)

# media_type
for i, s in enumerate([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    "text/plain", "linux/arm64/v8", "windows/amd64", " Application/JSON ; q=1",
]):
    write("media_type", str(i), s)

# document: a hint byte, then the JSON
config = json.dumps({
    "architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
    "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"], "Labels": {"a": "b"}},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + HEX]},
    "history": [{"created_by": "ADD x /", "empty_layer": False}],
}).encode()
manifest = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(config), "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + HEX, "size": 10,
                "annotations": {"containerd.io/snapshot/stargz/toc.digest": "sha256:" + HEX}}],
    "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"},
}).encode()
index = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(manifest), "size": len(manifest),
         "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + HEX, "size": 1,
         "annotations": {"vnd.docker.reference.type": "attestation-manifest"}},
    ],
}).encode()
docker = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": sha(config), "size": len(config)},
    "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": "sha256:" + HEX, "size": 3}],
}).encode()
write("document", "manifest", b"\x07" + manifest)
write("document", "index", b"\x07" + index)
write("document", "docker", b"\x03" + docker)
write("document", "config", b"\x05" + config)
write("document", "schema1", b"\x07" + b'{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}')

# challenge
for i, s in enumerate([
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
    'Basic realm="registry", Bearer realm="https://x/token", error="insufficient_scope"',
    'Bearer realm="a\\"b", scope="x y"',
    'Negotiate abc==, Basic realm=x',
    '{"token":"abc","access_token":"abc","expires_in":300,"issued_at":"2024-01-01T00:00:00Z"}',
]):
    write("challenge", str(i), s)

# link
for i, s in enumerate([
    '</v2/x/tags/list?n=2&last=b>; rel="next"',
    '<https://x/prev>; rel="prev", <https://x/next?a=1,2>; title="n, m"; rel=next',
    '</v2/_catalog?last=a>; rel="next last"',
]):
    write("link", str(i), s)


# scan: mode, flags, u16 count of chunk sizes (taken modulo 17), the sizes, the blob
def scan(mode, flags, sizes, body):
    return bytes([mode, flags]) + struct.pack("<H", len(sizes)) + bytes(sizes) + body


write("scan", "tar", scan(0, 1, [1, 255, 0, 7], layer_tar))
write("scan", "pax", scan(0, 8, [3], pax_tar))
write("scan", "ustar", scan(0, 0, [], ustar_tar))
write("scan", "gzip", scan(1, 1, [1, 2, 3, 100], gz(layer_tar)))
write("scan", "zstd", scan(2, 0, [5, 17], zstd(layer_tar)))
write("scan", "tar-in-gzip", scan(3, 9, [64, 1], pax_tar))
write("scan", "gzip-multi", scan(1, 0, [9], gz(ustar_tar[:600]) + gz(ustar_tar[600:])))

# layer_index: an encoding without its CRC (the target appends one)
def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def vbytes(b):
    return varint(len(b)) + b


def index_body(entries):
    out = b"LLIX\x01" + vbytes(("sha256:" + HEX).encode()) + vbytes(("sha256:" + "b" * 64).encode())
    out += varint(1000) + varint(3072) + b"\x01"
    out += varint(1) + vbytes(b"root")
    out += varint(len(entries))
    prev = b""
    offset = 0
    for path, tag, extra in entries:
        shared = 0
        while shared < min(len(prev), len(path)) and prev[shared] == path[shared]:
            shared += 1
        out += varint(shared) + vbytes(path[shared:]) + bytes([tag])
        out += varint(0o644) + varint(0) + varint(0) + varint(1) + varint(1) + varint(5) + varint(2) + varint(1024)
        out += extra
        prev = path
        offset += 512
    return out


write("layer_index", "empty", index_body([]))
write("layer_index", "entries", index_body([
    (b"etc", 5, b""), (b"etc/hello", 0 | 16, b"\x11" * 32), (b"etc/link", 2 | 8, vbytes(b"hello")),
    (b"dev/null", 3 | 32, varint(1) + varint(3)),
]))

# template
for i, s in enumerate([
    "{{.Repository}}:{{.Tag}}: {{.Size}}",
    "table {{.ID}}\t{{.Repository}}",
    '{{json .}} {{if .Tag}}{{.Tag}}{{else}}none{{end}}',
    '{{range $i, $l := split .Labels ","}}{{$i}}={{$l}} {{end}}',
    '{{printf "%-10s|%5.2q" .Repository .Tag}}{{pad .ID 3 4}}{{truncate .ID 5}}',
    '{{with $x := .Tag}}{{upper $x | lower | title}}{{end}}{{len .Repository}}{{index (split .Labels ",") 1}}',
    '{{/* comment */}}{{- .Tag -}} {{eq .Tag "3.20" "x"}} {{and 1 0}} {{or "" "y"}} {{not true}}',
    '{{.Missing}}', '{{', '{{end}}', '{{"\\u00e9"}}{{`raw`}}{{1.5e3}}{{0x1F}}',
]):
    write("template", str(i), s)

# route
for i, s in enumerate([
    "?image=alpine%3A3.20&platform=linux/arm64/v8&layer=2&path=/etc/hello&view=changes&tab=config",
    "?page=search&q=nginx&filter=is-official%3Dtrue&filter=stars%3D3",
    "?page=tags&repo=library/alpine",
    "?page=images&filter=dangling%3Dtrue&open=sha256:" + HEX,
    "?file=app.tar&path=/a/%FF/../b&layer=999999",
    "image=+x+&image=y&path=%2&%=%",
    "?image=x/multi:v1&platform=linux/amd64&compare=x/multi:v1&compare-platform=linux/arm64/v8&tab=compare",
    "?compare=alpine&compare-platform=linux/arm64",
]):
    write("route", str(i), s)

# unified: two texts split at the first 0xFF byte
for i, s in enumerate([
    b"a\nb\nc\n\xffa\nB\nc\n",
    b"\xffx\ny\n",
    b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n\xff1\n2\nthree\n4\n5\n6\n7\n8\nnine\n10\n",
    b"no newline\xffno newline at all",
]):
    write("unified", str(i), s)

# proxy_path
for i, s in enumerate([
    "/proxy/registry-1.docker.io/v2/library/alpine/manifests/latest",
    "/proxy/127.0.0.1:5000/v2/x/blobs/sha256:" + HEX + "?digest=a&n=1",
    "/proxy/[::1]:443/v2/_catalog?n=100&last=b",
    "/proxy/auth.docker.io/token?service=registry.docker.io&scope=repository:library/alpine:pull",
    "/proxy/a%2eb/v2/", "/proxy/EXAMPLE.com./v2/%2e%2e/x",
]):
    write("proxy_path", str(i), s)

# toc: 0 = the JSON, 2 = a zstd:chunked table, 3 = an eStargz footer and table
toc = json.dumps({"version": 1, "entries": [
    {"type": "dir", "name": "etc/", "mode": 493},
    {"type": "reg", "name": "etc/hello", "size": 6, "offset": 100, "endOffset": 140,
     "digest": "sha256:" + HEX, "chunkSize": 3, "uid": 0, "gid": 0, "modtime": "2024-01-01T00:00:00Z"},
    {"type": "chunk", "name": "etc/hello", "offset": 140, "chunkOffset": 3, "chunkSize": 3},
    {"type": "symlink", "name": "bin/sh", "linkName": "busybox"},
    {"type": "hardlink", "name": "bin/ash", "linkName": "bin/sh"},
    {"type": "char", "name": "dev/null", "devMajor": 1, "devMinor": 3},
    {"type": "reg", "name": ".wh.gone"},
]}).encode()
write("toc", "json", b"\x00" + toc)
z = zstd(toc)
write("toc", "chunked", b"\x02" + struct.pack("<QQ", len(toc), 4096) + z)
member = gz(tar([("stargz.index.json", "file", toc)]))
footer = bytes([0x1F, 0x8B, 0x08, 0x04, 0, 0, 0, 0, 0, 0xFF, 0x1A, 0, 0x53, 0x47, 0x16, 0])
footer += b"%016xSTARGZ" % 4096 + bytes(10)
write("toc", "stargz", b"\x03" + struct.pack("<Q", 4096 + len(member) + 51) + struct.pack("<H", len(footer))
      + footer + member)

# archive: an OCI-layout docker save, a legacy one, an OCI archive with a symlinked blob
layer = ustar_tar
cfg = config.replace(("sha256:" + HEX).encode(), sha(layer).encode())
man = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(cfg), "size": len(cfg)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha(layer), "size": len(layer)}],
}).encode()
idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(man), "size": len(man),
     "annotations": {"io.containerd.image.name": "docker.io/library/app:1", "org.opencontainers.image.ref.name": "1"}},
]}).encode()
blob = lambda b: "blobs/sha256/" + hashlib.sha256(b).hexdigest()
write("archive", "oci", tar([
    ("oci-layout", "file", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", "file", idx),
    (blob(man), "file", man), (blob(cfg), "file", cfg), (blob(layer), "file", layer),
    ("manifest.json", "file", json.dumps([{"Config": blob(cfg), "RepoTags": ["app:1"], "Layers": [blob(layer)]}]).encode()),
], tarfile.USTAR_FORMAT))
write("archive", "legacy", tar([
    ("manifest.json", "file", json.dumps([{"Config": "c.json", "RepoTags": ["app:1", "x/y:z"], "Layers": ["l/layer.tar"]}]).encode()),
    ("c.json", "file", cfg), ("l/layer.tar", "symlink", "../blobs/x"), ("blobs/x", "file", layer),
], tarfile.USTAR_FORMAT))

# gate_rules: u16 length, the rules, then layers (Input's format)
for i, s in enumerate(["added=/root/**,setuid,larger=50MB", "removed=*.pem, modified=/etc/?a**b*", "larger=1GiB,x"]):
    write("gate_rules", str(i), struct.pack("<H", len(s)) + s.encode() + bytes(range(1, 200, 3)))

# ci_rules
for i, s in enumerate([
    "rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20MB\n  highestUserWastedPercent: 0.20\n",
    "rules:\n  lowestEfficiency: disabled # off\n  highestWastedBytes: '1.5 GiB'\n",
]):
    write("ci_rules", str(i), struct.pack("<H", len(s)) + s.encode() + bytes(range(2, 250, 5)))

# merge and diff: any bytes are layers; a few varied ones
for target in ("merge", "diff"):
    for i, n in enumerate([0, 7, 101]):
        write(target, str(i), bytes((j * n + 3) % 256 for j in range(400)))
