"""Help > Guide, Help > Keyboard shortcuts, and the "what am I looking at?" line on each view.

The texts live here, once: the per-view lines are both the views' tooltips and the Guide's
opening sentences. The shortcuts list is read from the window's own QActions when it is opened,
so it can never disagree with what the keys do.
"""
from __future__ import annotations

import html
from collections.abc import Iterable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from . import dialogs
from .actions import make_action

# view attribute on the window -> (title, what it shows in one line)
VIEW_LINES: dict[str, tuple[str, str]] = {
    "boundary": ("Decision boundary",
                 "The input plane coloured by the class the network predicts at each point (pale where it "
                 "is unsure), under the data: ● train, ◆ validation, ▲ test, ★ added. Click to add a point."),
    "curves": ("Training curves",
               "Loss (above) and accuracy (below) per epoch, for the training and the validation data, a "
               "dashed line at the best epoch; validation loss rising while training loss falls: over-fitting."),
    "network": ("Network",
                "The layers as circles, the weights as lines: blue positive, orange negative, stronger "
                "colour = larger. Click a neuron to see what it responds to."),
    "neurons": ("Neurons",
                "What each neuron of a layer outputs over the input plane, drawn like the decision "
                "boundary: where it fires (strong colour) and where it is silent."),
}

# Further reading per view for the Guide: how to read it, beyond the one line.
HOW_TO_READ: dict[str, str] = {
    "boundary": "Early on the colours are flat or striped; as the network learns, the regions bend to "
                "follow the data. Jagged islands around single points are the network memorising noise.",
    "curves": "Both losses should fall. Flat from the start: the learning rate is too small or the network "
              "cannot express the data. Jumping up and down or shooting up: the learning rate is too large.",
    "network": "Lines that stay thin carry little; a neuron whose lines all fade has stopped contributing "
               "(e.g. a ReLU that never fires).",
    "neurons": "The first layer's neurons are straight-edged regions (one line each); deeper layers combine "
               "them into curves. The last layer's picture is the decision boundary itself.",
}

OTHER_PARTS = [
    ("The docks", "Dataset (the data and its noise), Architecture (layers, sizes, activations) and Optimizer "
                  "(learning rate, batch size, epochs). Red text names a setting that cannot be used yet."),
    ("Training", "Train starts, Pause / Step / Stop control the run; the status bar shows the epoch, the "
                 "losses and the speed."),
    ("MNIST tab", "The confusion matrix (click a cell to see those images), the most-confused pairs, and "
                  "the drawing pad: draw a digit and see what a trained MNIST model reads, or \"?\" when it "
                  "is not sure."),
    ("Lessons", "Ready-made experiments, each with a lesson text; they set every dock for you."),
]


def view_line(name: str) -> str:
    """The one line saying what the view `name` (a key of VIEW_LINES) shows."""
    return VIEW_LINES[name][1]


def guide_html() -> str:
    parts = ["<h2>What you are looking at</h2>"]
    for name, (title, line) in VIEW_LINES.items():
        parts.append(f"<h3>{html.escape(title)}</h3><p>{html.escape(line)}</p>"
                     f"<p><i>How to read it:</i> {html.escape(HOW_TO_READ[name])}</p>")
    parts.append("<h2>The rest of the window</h2>")
    parts += [f"<h3>{html.escape(t)}</h3><p>{html.escape(text)}</p>" for t, text in OTHER_PARTS]
    parts.append("<p>Help &gt; Keyboard shortcuts lists every key.</p>")
    return "".join(parts)


def shortcuts(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """(key, what it does) for each action that has a shortcut, as the action itself says; sorted by name."""
    rows = []
    for action in actions:
        keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
        if keys:
            rows.append((keys, action.text().replace("&&", "\0").replace("&", "").replace("\0", "&")))
    return sorted(set(rows), key=lambda row: row[1].lower())


def shortcuts_html(actions: Iterable[QAction]) -> str:
    rows = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(what)}</td></tr>"
                   for k, what in shortcuts(actions))
    return f"<table cellspacing='6'>{rows}</table>"


def install(window: QWidget) -> list[QAction]:
    """Put the per-view lines on the window's views; return the Help actions (Guide F1, Keyboard shortcuts)."""
    for name, (title, line) in VIEW_LINES.items():
        view = getattr(window, name, None)
        if view is not None:
            view.setToolTip(f"<b>{html.escape(title)}</b>: {html.escape(line)}")
            view.setWhatsThis(line)
            view.setAccessibleDescription(line)
    guide = make_action(window, "&Guide", lambda: dialogs.show_document(window, "Guide", guide_html()),
                        QKeySequence.StandardKey.HelpContents, tip="What each view shows and how to read it")
    keys = make_action(window, "&Keyboard shortcuts",
                       lambda: dialogs.show_document(window, "Keyboard shortcuts",
                                                     shortcuts_html(window.findChildren(QAction))),
                       tip="Every key the window answers to")
    return [guide, keys]


__all__ = ["VIEW_LINES", "guide_html", "install", "shortcuts", "shortcuts_html", "view_line"]
