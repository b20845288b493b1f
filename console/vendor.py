"""Refresh the console's vendored browser libraries from the npm registry, pinned and verified.

    python3 dev.py vendor                    download the pinned tarballs, verify, unpack the files we serve
    python3 dev.py vendor --check            verify the files on disk against the lock file (no network)
    python3 dev.py vendor --pin vue@3.5.46   move one package to another version (records its integrity)

The lock file (`vendor.lock.json` beside this file) names, for each package, the version, the
tarball's URL and its npm `integrity` (sha512), which files of the tarball are served and the sha256
of each. A tarball whose sha512 differs from the lock is refused before anything is unpacked.

Standard library only: it runs on the system's python3, before (or without) the virtualenv.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOCK = HERE / "vendor.lock.json"
VENDOR = HERE / "static" / "vendor"
REGISTRY = "https://registry.npmjs.org"


def load_lock() -> dict:
    return json.loads(LOCK.read_text(encoding="utf-8"))


def save_lock(lock: dict) -> None:
    LOCK.write_text(json.dumps(lock, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def unpack(name: str, entry: dict, tarball: bytes) -> dict[str, str]:
    """Write the served files of one package; answer {served path: sha256}."""
    if sri(tarball) != entry["integrity"]:
        sys.exit(f"{name}@{entry['version']}: tarball integrity differs from the lock file; refusing it")
    hashes = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for source, target in entry["files"].items():
            member = archive.extractfile("package/" + source)
            if member is None:
                sys.exit(f"{name}@{entry['version']}: {source} is not in the tarball")
            data = member.read()
            path = VENDOR / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            hashes[target] = sha256(data)
    return hashes


def refresh(lock: dict) -> None:
    for name, entry in lock["packages"].items():
        print(f"{name}@{entry['version']} <- {entry['tarball']}")
        hashes = unpack(name, entry, fetch(entry["tarball"]))
        if entry.get("sha256") and hashes != entry["sha256"]:
            sys.exit(f"{name}: unpacked files differ from the lock file's sha256")
        entry["sha256"] = hashes
    save_lock(lock)


def pin(lock: dict, spec: str) -> None:
    name, _, version = spec.rpartition("@")
    if name not in lock["packages"]:
        sys.exit(f"{name} is not a vendored package (add its entry to {LOCK.name} first)")
    meta = json.loads(fetch(f"{REGISTRY}/{name}/{version}"))
    entry = lock["packages"][name]
    entry.update(
        version=meta["version"], tarball=meta["dist"]["tarball"], integrity=meta["dist"]["integrity"]
    )
    entry["sha256"] = unpack(name, entry, fetch(entry["tarball"]))
    save_lock(lock)
    print(f"{name} pinned at {meta['version']}")


def check(lock: dict) -> list[str]:
    """Every served file is on disk with the sha256 the lock file records."""
    problems = []
    for name, entry in lock["packages"].items():
        for target in entry["files"].values():
            path = VENDOR / target
            want = entry.get("sha256", {}).get(target)
            if not path.exists():
                problems.append(f"{name}: {target} is missing")
            elif sha256(path.read_bytes()) != want:
                problems.append(f"{name}: {target} differs from {LOCK.name}")
    return problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="verify the files on disk, no network")
    parser.add_argument("--pin", metavar="NAME@VERSION", help="move one package to another version")
    args = parser.parse_args(argv)
    lock = load_lock()
    if args.check:
        problems = check(lock)
        print("\n".join(problems) or "vendored files match the lock file")
        sys.exit(1 if problems else 0)
    if args.pin:
        pin(lock, args.pin)
    else:
        refresh(lock)


if __name__ == "__main__":
    main()
