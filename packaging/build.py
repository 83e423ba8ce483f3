"""Build the one-folder app dist/NeuralPlayground/ with PyInstaller (what `make bundle` runs).

    .venv/bin/python packaging/build.py              # build (PyInstaller reuses build/ when it can)
    .venv/bin/python packaging/build.py --if-stale   # build only when a source is newer than the bundle
    .venv/bin/python packaging/build.py --clean      # drop PyInstaller's cache first
    .venv/bin/python packaging/build.py --self-test  # then run the bundle's --self-test offscreen
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "NeuralPlayground.spec"
DIST = ROOT / "dist"
WORK = ROOT / "build"
NAME = "NeuralPlayground"
BUNDLE = DIST / NAME
ICONS = ("NeuralPlayground.ico", "NeuralPlayground.icns", "neural-playground.png")
# What goes into the bundle: a change to any of these makes an existing bundle stale
# (resources/screenshots/ is left out of the bundle, so it is left out here too).
SOURCES = ("trainer", "desktop", "resources", "packaging", "pyproject.toml")


def executable() -> Path:
    return BUNDLE / (f"{NAME}.exe" if sys.platform == "win32" else NAME)


def size_on_disk(folder: Path) -> int:
    """Bytes the folder takes on disk, like `du -s` (allocated blocks where the OS reports them)."""
    total = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            st = path.stat()
            total += st.st_blocks * 512 if hasattr(st, "st_blocks") else st.st_size
    return total


def newest_source() -> float:
    """The latest modification among the bundled sources and the installed packages."""
    times = []
    for name in SOURCES:
        path = ROOT / name
        files = [path] if path.is_file() else [p for p in path.rglob("*")
                                               if not {"__pycache__", "screenshots"} & set(p.parts)]
        times += [p.stat().st_mtime for p in files if p.is_file()]
    # pip adds / removes package folders here, which changes the directory's own mtime.
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    times.append(site.stat().st_mtime)
    return max(times)


def is_fresh() -> bool:
    exe = executable()
    return exe.is_file() and exe.stat().st_mtime > newest_source()


def ensure_icons() -> None:
    """The app icons are committed; render them from app.svg only when one is missing."""
    folder = ROOT / "resources" / "packaging"
    if not all((folder / name).is_file() for name in ICONS):
        subprocess.run([sys.executable, str(ROOT / "packaging" / "make_icons.py")], check=True)


def build(clean: bool) -> None:
    ensure_icons()
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(DIST), "--workpath", str(WORK), str(SPEC)]
    if clean:
        cmd.insert(3, "--clean")
    print(f"building {BUNDLE} with PyInstaller (a few minutes; warnings below are expected)", flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)
    # COLLECT keeps the old executable's mtime when nothing changed; touch it so --if-stale sees a fresh build.
    os.utime(executable())


def self_test() -> bool:
    """Run the bundle's --self-test without a display; print its JSON line."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([str(executable()), "--self-test"], env=env, capture_output=True, text=True,
                          timeout=900)
    lines = proc.stdout.strip().splitlines()
    print(lines[-1] if lines else f"(no output; exit {proc.returncode})\n{proc.stderr[-3000:]}")
    return proc.returncode == 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--if-stale", action="store_true", help="skip the build when the bundle is newer than its sources")
    p.add_argument("--clean", action="store_true", help="drop PyInstaller's cache (build/) first")
    p.add_argument("--self-test", action="store_true", help="run the built app's --self-test offscreen")
    args = p.parse_args(argv)

    if args.if_stale and is_fresh():
        print(f"{BUNDLE} is newer than its sources; not rebuilt")
    else:
        t0 = time.perf_counter()
        try:
            build(args.clean)
        except subprocess.CalledProcessError as exc:
            print(f"error: PyInstaller failed (exit {exc.returncode}); its messages are above", file=sys.stderr)
            return 1
        print(f"built in {time.perf_counter() - t0:.0f} s")
    print(f"{executable()}  ({size_on_disk(BUNDLE) / 2**30:.1f} GiB on disk)")
    if args.self_test and not self_test():
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
