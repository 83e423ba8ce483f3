"""Entry point: `neural-playground`, `python -m desktop`, and the packaged app.

    --preset NAME        open with a lesson preset (or an experiment .json file) loaded
    --train              start training at once
    --screenshot PATH    save a PNG of the window when training ends (at once without --train), then quit
    --self-test          train xor-mlp through the real training process, print one JSON line, exit 0 / 1
"""
from __future__ import annotations

import argparse
import json
import logging
import logging.handlers
import multiprocessing
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import NoReturn

from desktop import APP_NAME, ORGANIZATION, log_file

log = logging.getLogger("desktop")

SELF_TEST_PRESET = "xor-mlp"


# -- process set-up -------------------------------------------------------------------------
def _safe_streams() -> None:
    """A windowed PyInstaller app has no stdout / stderr: give prints somewhere harmless to go."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 -- lives as long as the app


class OneLineFormatter(logging.Formatter):
    """The terminal's format: one line a record, never a traceback (those go to the log file only)."""

    def __init__(self, fmt: str, details: Path):
        super().__init__(fmt)
        self.details = details

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        first = message.split("\n", 1)[0]
        trimmed = first != message or record.exc_info is not None or record.stack_info is not None
        short = logging.makeLogRecord({**record.__dict__, "msg": first, "args": None, "exc_info": None,
                                       "exc_text": None, "stack_info": None})
        line = super().format(short)
        return f"{line} (details in {self.details})" if trimmed else line


def setup_logging() -> Path | None:
    """INFO and up to a rotating file in the user log folder; warnings also to stderr, one line each."""
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s")
    path = log_file()
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)
    console.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s", path))
    root.addHandler(console)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError as exc:
        log.warning("cannot write the log file %s (%s); logging to stderr only", path, exc)
        return None
    handler.setFormatter(fmt)
    root.addHandler(handler)
    return path


_in_hook = threading.local()


def _excepthook(exc_type, exc, tb) -> None:
    """An uncaught exception on the GUI thread: log it, show it, keep running."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    log.error("uncaught exception", exc_info=(exc_type, exc, tb))
    if getattr(_in_hook, "active", False):    # failing inside the dialog: the log has it
        return
    _in_hook.active = True
    try:
        from PySide6.QtWidgets import QApplication

        from desktop import dialogs
        if QApplication.instance() is not None:
            text = f"{exc_type.__name__}: {exc}".strip()
            dialogs.show_error(QApplication.activeWindow(), "Unexpected error",
                               f"{text}\n\nNeural Playground keeps running. The details are in the log:\n"
                               f"{log_file()}",
                               "".join(traceback.format_exception(exc_type, exc, tb)))
    except Exception:  # noqa: BLE001 -- never let the hook itself raise
        log.exception("could not show the error dialog")
    finally:
        _in_hook.active = False


def _thread_excepthook(args) -> None:
    log.error("uncaught exception in thread %s", getattr(args.thread, "name", "?"),
              exc_info=(args.exc_type, args.exc_value, args.exc_traceback))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="neural-playground",
                                description="Build a neural network, train it with PyTorch and watch it learn.")
    p.add_argument("--preset", metavar="NAME", help="open with a lesson preset or an experiment .json loaded")
    p.add_argument("--train", action="store_true", help="start training at once")
    p.add_argument("--screenshot", metavar="PATH", help="save a PNG of the window when training ends "
                                                        "(at once without --train), then quit")
    p.add_argument("--self-test", action="store_true", help="train xor-mlp through the training process, "
                                                           "print one JSON line and exit")
    return p


_gc_guard = None


def collect_garbage_on_gui_thread() -> None:
    """Run Python's cycle collector only from a GUI-thread timer (pyqtgraph's GarbageCollector).

    Left automatic, a collection can start on the training thread and free a Qt widget's
    wrapper there; Qt then destroys the widget off the GUI thread and the app crashes.
    """
    global _gc_guard
    if _gc_guard is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector
        _gc_guard = GarbageCollector(interval=0.5)


def _make_app(argv: list[str]):
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from desktop import resources_dir
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    collect_garbage_on_gui_thread()
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("Neural Playground")
    icon = resources_dir() / "icons" / "app.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    qss = resources_dir() / "style.qss"
    try:
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    except OSError as exc:
        log.warning("no style sheet (%s)", exc)
    return app


def _qt_can_start() -> bool:
    """False (and one line on stderr) where Qt would abort with a core dump: no display, missing X libraries."""
    widgets = sys.modules.get("PySide6.QtWidgets")
    if widgets is not None and widgets.QApplication.instance() is not None:
        return True   # already running (tests, the self-test inside the window)
    from desktop.platform_check import problem
    why = problem()
    if why is None:
        return True
    log.info("not starting: %s", why)   # the file keeps it; the console gets the one line below
    print(f"neural-playground: {why}", file=sys.stderr, flush=True)
    return False


def main(argv: list[str] | None = None) -> int:
    t0 = time.perf_counter()
    multiprocessing.freeze_support()
    _safe_streams()
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging()
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
    if args.self_test and sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")   # a self-test must run on a headless machine
    if not _qt_can_start():
        return 1
    from desktop.training import warmup
    warmup.prestart_soon()    # the training process's imports run on the other core while the window builds
    app = _make_app([])
    if args.self_test:
        _leave(self_test())

    from trainer.config import ConfigError
    experiment = None
    if args.preset:
        from trainer.presets import load_experiment
        try:
            experiment = load_experiment(args.preset)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    from PySide6.QtCore import QTimer

    from desktop.main_window import MainWindow
    screenshot = Path(args.screenshot) if args.screenshot else None
    window = MainWindow(experiment, restore_layout=screenshot is None)
    if screenshot is not None:
        window.persist = False                   # a scripted run leaves the user's settings alone
        from desktop import dialogs

        def no_one_to_click(parent, title: str, text: str, details: str = "") -> None:
            log.error("%s: %s", title, text)     # a modal box would hang a scripted run
            print(f"error: {title}: {text}", file=sys.stderr)

        dialogs.show_error = no_one_to_click
        dialogs.show_info = lambda parent, title, text: log.info("%s: %s", title, text)
    window.show()
    log.info("window shown %.2f s after main()", time.perf_counter() - t0)
    from desktop import startup_time
    if startup_time.wanted():
        startup_time.say("window_shown_s", t0)
        startup_time.report_when_ready(window, t0)
    window.start_warmup()

    status = {"code": 0}
    if screenshot is not None:
        def grab_and_quit() -> None:
            if not save_screenshot(window, screenshot):
                status["code"] = 1
            window.close()
            app.quit()

        if args.train:
            window.session.failed.connect(lambda _m: status.__setitem__("code", 1))
            # A short pause after the run lets the last snapshot and the status bar paint.
            window.session.ended.connect(lambda: QTimer.singleShot(400, grab_and_quit))
        else:
            QTimer.singleShot(600, grab_and_quit)
    if args.train:
        def start() -> None:
            if not window.train():
                log.error("--train: the settings are invalid, nothing to train")
                status["code"] = 1
                if screenshot is not None:
                    QTimer.singleShot(200, grab_and_quit)

        QTimer.singleShot(0, start)
    code = app.exec()
    window.join_warmup()
    _leave(status["code"] or code)


def _leave(code: int) -> NoReturn:
    """Exit now, skipping Python's teardown of live Qt objects.

    Destroying widgets and pyqtgraph items in whatever order the interpreter picks at exit
    can segfault (seen once in 9 quick launches of the bundle); pyqtgraph.exit() does the same
    for the same reason. Settings are already on disk: each QSettings is synced as it is freed.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    os._exit(code)


def save_screenshot(window, path: Path) -> bool:
    """Grab the window to a small PNG (a 256-colour dithered palette when Pillow is there), atomically."""
    from trainer.atomic import atomic_path
    image = window.grab().toImage()
    try:
        with atomic_path(path) as tmp:
            if not _save_small_png(image, tmp):
                raise OSError("the image could not be encoded as PNG")
    except OSError as exc:
        log.error("could not write the screenshot %s: %s", path, exc)
        return False
    log.info("screenshot saved to %s (%d bytes)", path, path.stat().st_size)
    return True


def _save_small_png(image, path: Path) -> bool:
    """A UI is mostly flat colour: a median-cut palette with Floyd-Steinberg dithering keeps the heatmap
    smooth at about half the bytes of a true-colour PNG."""
    from PySide6.QtGui import QImage
    try:
        from PIL import Image
    except ImportError:
        return image.save(str(path), "PNG", 0)          # quality 0 = the strongest zlib compression
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    pil = Image.frombuffer("RGB", (w, h), bytes(rgb.constBits())[:stride * h], "raw", "RGB", stride, 1)
    palette = pil.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    pil.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG).save(path, "PNG", optimize=True)
    return True


def self_test(window=None) -> int:
    """Train xor-mlp in the real window through the real training process; check 4/4; print one JSON line.

    `window`: an existing MainWindow to use (the tests pass theirs); otherwise one is made and closed.
    """
    t0 = time.perf_counter()
    try:
        result = _self_test_run(window)
    except Exception as exc:  # noqa: BLE001 -- the reason goes into the one JSON line
        log.exception("self-test failed")
        result = {"self_test": "failed", "reason": f"{type(exc).__name__}: {exc}"}
    result["seconds"] = round(time.perf_counter() - t0, 2)
    line = json.dumps(result)
    log.info("self-test: %s", line)   # a windowed app on Windows has no stdout: the log keeps it
    print(line, flush=True)
    return 0 if result.get("self_test") == "ok" else 1


def _self_test_run(window=None) -> dict:
    import numpy as np
    import PySide6
    import torch
    from PySide6.QtGui import QGuiApplication

    from desktop import dialogs
    from desktop.main_window import MainWindow
    from desktop.training import wait_until
    from trainer.presets import load_preset
    exp = load_preset(SELF_TEST_PRESET)
    failures: list[str] = []
    own = window is None
    if own:
        window = MainWindow(exp, restore_layout=False)
        window.persist = False
        window.show()
        # Nobody is there to click a dialog away: record what it would have said instead.
        dialogs.show_error = lambda parent, title, text, details="": failures.append(f"{title}: {text}")
    else:
        window.apply_experiment(exp)

    def on_failed(message: str) -> None:
        failures.append(message)

    window.session.failed.connect(on_failed)
    try:
        if not window.train():
            return {"self_test": "failed", "reason": "the preset's settings were refused: "
                                                     + " ".join(p.error_text() for p in window.panels)}
        if not wait_until(lambda: not window.session.is_running(), 600):
            return {"self_test": "failed", "reason": "training did not finish within 600 s"}
        if failures:
            return {"self_test": "failed", "reason": failures[0]}
        fin = window.session.result
        if fin is None:
            return {"self_test": "failed", "reason": "the run ended without a result"}
        x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
        truth = np.array([0, 1, 1, 0])
        with torch.no_grad():
            p = window.session.model()(torch.from_numpy(x))[:, 0].numpy()
        correct = int(((p > 0.5).astype(int) == truth).sum())
        history = window.session.history
        out = {
            "self_test": "ok" if correct == 4 else "failed",
            "preset": SELF_TEST_PRESET,
            "correct": f"{correct}/4",
            "outputs": [round(float(v), 4) for v in p],
            "epochs": fin.epochs_run,
            "epochs_received": len(history),
            "signal_batches": window.session.frames,
            "final_loss": float(f"{fin.history[-1]['train_loss']:.3g}") if fin.history else None,
            "train_seconds": round(fin.seconds, 2),
            "device": fin.device,
            "torch": torch.__version__,
            "qt": PySide6.__version__,
            "platform": QGuiApplication.platformName(),
        }
        if correct != 4:
            out["reason"] = f"only {correct}/4 XOR rows correct"
        elif len(history) != fin.epochs_run:
            out["self_test"] = "failed"
            out["reason"] = f"{fin.epochs_run} epochs ran but {len(history)} reached the window"
        return out
    finally:
        window.session.failed.disconnect(on_failed)
        if own:
            window.close()


if __name__ == "__main__":
    sys.exit(main())
