"""Before the QApplication: can Qt open a window here? One line saying why not, instead of a core dump.

Qt aborts (SIGABRT, exit 134) when its platform plugin cannot load, and for xcb it then blames
xcb-cursor even when the library actually missing is another one (libxcb-icccm4, libxcb-keysyms1 on
a plain Debian). So before creating the QApplication, on Linux, `problem()` looks at what the plugin
Qt will pick needs: a display to talk to, and for xcb the shared libraries `libqxcb.so` links to
(as `ldd` resolves them) plus libxcb-cursor, which Qt 6.5+ loads at run time. It never blocks
when it cannot tell (no `ldd`, no plugin found): Qt then has its own say.

This module imports no Qt, so it runs before anything of Qt is loaded.
"""
from __future__ import annotations

import ctypes
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

NO_DISPLAY = ("no display found; run it on a desktop, or with QT_QPA_PLATFORM=offscreen for a headless run")

# Plugins that need no display and no X libraries: nothing to check.
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl", "vnc", "linuxfb", "eglfs", "vkkhrdisplay"})

# soname -> (Debian/Ubuntu package, Fedora package): the one table of what Qt's xcb plugin needs.
# README's set-up lines are these packages (tests/desktop/test_first_hour_start.py checks that).
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
}

# Loaded by Qt with dlopen (not a link-time dependency), so `ldd` does not show it.
RUNTIME_LOADED = ("libxcb-cursor.so.0",)

Ldd = Callable[[Path], str | None]
Loadable = Callable[[str], bool]


def problem(env: Mapping[str, str] | None = None, platform: str | None = None, ldd: Ldd | None = None,
            loadable: Loadable | None = None, plugin: Path | None = None,
            os_release: str | None = None) -> str | None:
    """One line saying why Qt cannot open a window here, or None (fine, or cannot tell).

    Every argument defaults to this machine (os.environ, sys.platform, running `ldd`, loading the
    library, PySide6's own libqxcb.so, /etc/os-release); tests pass fakes.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return None
    chosen = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()
    if chosen in HEADLESS_PLATFORMS:
        return None
    if chosen.startswith("wayland"):
        return None if env.get("WAYLAND_DISPLAY") else NO_DISPLAY
    if not env.get("DISPLAY"):
        if not chosen and env.get("WAYLAND_DISPLAY"):
            return None  # Qt picks (or falls back to) Wayland there: its libraries are another story
        return NO_DISPLAY
    if not chosen and env.get("WAYLAND_DISPLAY"):
        return None      # a Wayland session with XWayland: Qt may well take Wayland; do not guess
    plugin = xcb_plugin() if plugin is None else plugin
    if plugin is None:
        return None
    report = (ldd or run_ldd)(plugin)
    if report is None:
        return None
    missing = not_found(report)
    for soname in RUNTIME_LOADED:
        if soname not in missing and not (loadable or can_load)(soname):
            missing.append(soname)
    if not missing:
        return None
    return missing_message(missing, distro_family(os_release))


def xcb_plugin() -> Path | None:
    """PySide6's libqxcb.so, found without importing PySide6 (None when it is not there)."""
    spec = importlib.util.find_spec("PySide6")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if path.is_file():
            return path
    return None


def run_ldd(path: Path) -> str | None:
    """`ldd path`'s output; None where ldd is missing or fails (then nothing is claimed)."""
    try:
        done = subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def not_found(ldd_output: str) -> list[str]:
    """The sonames `ldd` reports as 'not found', in order, each once."""
    missing: list[str] = []
    for line in ldd_output.splitlines():
        name, _, where = line.strip().partition("=>")
        name = name.strip()
        if where.strip() == "not found" and name and name not in missing:
            missing.append(name)
    return missing


def can_load(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def distro_family(os_release: str | None = None) -> str:
    """'debian', 'fedora' or '' (unknown) from /etc/os-release's ID and ID_LIKE."""
    if os_release is None:
        try:
            os_release = Path("/etc/os-release").read_text(encoding="utf-8", errors="replace")
        except OSError:
            os_release = ""
    words: list[str] = []
    for line in os_release.splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("ID", "ID_LIKE"):
            words += value.strip().strip("\"'").lower().split()
    if any(w in ("debian", "ubuntu") for w in words):
        return "debian"
    if any(w in ("fedora", "rhel", "centos") for w in words):
        return "fedora"
    return ""


def install_command(sonames: list[str], family: str) -> str:
    """The command that installs the packages holding `sonames` ('debian' or 'fedora')."""
    column = 1 if family == "fedora" else 0
    packages = list(dict.fromkeys(PACKAGES[s][column] if s in PACKAGES else s for s in sonames))
    return ("sudo dnf install " if family == "fedora" else "sudo apt install ") + " ".join(packages)


def missing_message(sonames: list[str], family: str) -> str:
    libs = ", ".join(sonames)
    if family:
        how = install_command(sonames, family)
    else:
        how = (f"{install_command(sonames, 'debian')} (Debian/Ubuntu) or "
               f"{install_command(sonames, 'fedora')} (Fedora)")
    return f"Qt cannot open a window: its xcb platform plugin needs {libs}, not installed; install with: {how}"


def setup_lines() -> tuple[str, str]:
    """README's two set-up lines: every package in the table, for Debian/Ubuntu and for Fedora."""
    sonames = list(PACKAGES)
    return install_command(sonames, "debian"), install_command(sonames, "fedora")


__all__ = ["NO_DISPLAY", "PACKAGES", "problem", "setup_lines", "not_found", "missing_message"]
