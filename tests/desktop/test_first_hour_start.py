"""Starting the app where Qt cannot open a window: one line saying why and how to fix it, exit 1, no core dump."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import platform_check
from desktop.platform_check import NO_DISPLAY, PACKAGES, missing_message, not_found, problem, setup_lines

REPO = Path(__file__).resolve().parents[2]

# What `ldd libqxcb.so` says on a plain Debian with libxcb-cursor0 installed (the report).
DEBIAN_LDD = """\
\tlinux-vdso.so.1 (0x00007ffd5a9f2000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f0c1c000000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f0c1bf00000)
\tlibxcb-icccm.so.4 => not found
"""
DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'
FEDORA = 'NAME="Fedora Linux"\nID=fedora\n'


def check(env: dict, ldd_output: str | None = DEBIAN_LDD, os_release: str = DEBIAN, cursor: bool = True):
    return problem(env=env, platform="linux", ldd=lambda _p: ldd_output, loadable=lambda _s: cursor,
                   plugin=Path("/fake/libqxcb.so"), os_release=os_release)


def test_missing_xcb_libraries_are_named_with_the_command_that_installs_them():
    line = check({"DISPLAY": ":0"})
    assert line == ("Qt cannot open a window: its xcb platform plugin needs libxcb-icccm.so.4, "
                    "libxcb-keysyms.so.1, not installed; install with: sudo apt install libxcb-icccm4 libxcb-keysyms1")
    assert "\n" not in line
    fedora = check({"DISPLAY": ":0"}, os_release=FEDORA, cursor=False)
    assert fedora.endswith("install with: sudo dnf install xcb-util-wm xcb-util-keysyms xcb-util-cursor")
    unknown = check({"DISPLAY": ":0"}, os_release="ID=arch\n")
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1 (Debian/Ubuntu)" in unknown
    assert "sudo dnf install xcb-util-wm xcb-util-keysyms (Fedora)" in unknown


def test_xcb_cursor_is_checked_although_ldd_does_not_show_it():
    line = check({"DISPLAY": ":0"}, ldd_output="\tlibxcb.so.1 => /lib/libxcb.so.1 (0x1)\n", cursor=False)
    assert line.endswith("sudo apt install libxcb-cursor0")


def test_no_display_gives_the_no_display_line():
    assert check({}) == NO_DISPLAY
    assert check({"QT_QPA_PLATFORM": "xcb"}) == NO_DISPLAY
    assert check({"QT_QPA_PLATFORM": "wayland"}) == NO_DISPLAY


@pytest.mark.parametrize("env", [{"QT_QPA_PLATFORM": "offscreen"}, {"QT_QPA_PLATFORM": "minimal"},
                                 {"WAYLAND_DISPLAY": "wayland-0"}, {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}])
def test_nothing_is_claimed_where_qt_needs_no_x_libraries(env):
    assert check(env) is None


def test_nothing_is_claimed_when_it_cannot_tell_or_all_is_there():
    assert check({"DISPLAY": ":0"}, ldd_output=None) is None                  # no ldd
    assert check({"DISPLAY": ":0"}, ldd_output="\tlibxcb.so.1 => /lib/libxcb.so.1\n") is None
    assert problem(env={}, platform="darwin") is None and problem(env={}, platform="win32") is None


def test_not_found_reads_ldd_output():
    assert not_found(DEBIAN_LDD) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert missing_message(["libfoo.so.9"], "debian").endswith("sudo apt install libfoo.so.9")  # unknown: the soname


def test_readme_setup_names_every_package_of_the_table():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    debian, fedora = setup_lines()
    assert debian in readme and fedora in readme
    assert all(p in debian for p, _ in PACKAGES.values()) and all(p in fedora for _, p in PACKAGES.values())


def _start(env_changes: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update({"PYTHONPATH": str(REPO), "NEURAL_PLAYGROUND_LOG_DIR": str(tmp_path / "log"), **env_changes})
    return subprocess.run([sys.executable, "-m", "desktop"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)


def test_python_m_desktop_without_a_display_prints_one_line_and_exits_1(tmp_path):
    done = _start({}, tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stderr == f"neural-playground: {NO_DISPLAY}\n"
    assert done.stdout == ""


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform_check.xcb_plugin() is None,
                    reason="needs Linux and PySide6's xcb plugin")
def test_python_m_desktop_with_x_libraries_missing_prints_one_line_and_exits_1(tmp_path):
    # A fake `ldd` first on PATH answers as on the Debian box; the rest is the shipped path.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ldd"
    fake.write_text("#!/bin/sh\ncat <<'EOF'\n" + DEBIAN_LDD + "EOF\n")
    fake.chmod(0o755)
    done = _start({"DISPLAY": ":0", "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}, tmp_path)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "libxcb-icccm.so.4, libxcb-keysyms.so.1" in lines[0]
    assert "install with: sudo " in lines[0]
