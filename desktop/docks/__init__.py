"""The settings docks: each edits one part of the Experiment and shows errors about that part.

Shared here: a base panel (changed signal, the red error label, field
highlighting) and the number boxes the docks need beyond Qt's own.
"""
from __future__ import annotations

import logging
import math
import re

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QMainWindow, QSpinBox,
                               QVBoxLayout, QWidget)

log = logging.getLogger(__name__)
NOTICE_MS = 10_000      # how long a refused / clamped value's message stays in the status bar


class Panel(QWidget):
    """A dock's contents: emits `changed` on any edit; shows a ConfigError for its fields."""

    changed = Signal()
    prefixes: tuple[str, ...] = ()       # the Experiment paths this panel owns, e.g. ("data.",)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(8, 6, 8, 8)
        self.outer.setSpacing(6)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(self.form.labelAlignment())
        self.form.setHorizontalSpacing(8)
        self.form.setVerticalSpacing(4)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self._fields: dict[str, QWidget] = {}     # Experiment path -> the widget that edits it
        self._flagged: QWidget | None = None

    def owns(self, path: str) -> bool:
        return any(path == p.rstrip(".") or path.startswith(p) for p in self.prefixes)

    def register(self, path: str, widget: QWidget) -> None:
        """Say which widget edits an Experiment path, so an error can point at it."""
        self._fields[path] = widget

    def field_for(self, path: str) -> QWidget | None:
        while path:
            if path in self._fields:
                return self._fields[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None

    def show_error(self, path: str, message: str) -> None:
        self.clear_error()
        self.error_label.setText(message)
        self.error_label.show()
        widget = self.field_for(path)
        if widget is not None:
            widget.setProperty("invalid", True)
            widget.setToolTip(message)
            _repolish(widget)
            self._flagged = widget

    def clear_error(self) -> None:
        self.error_label.hide()
        self.error_label.setText("")
        if self._flagged is not None:
            self._flagged.setProperty("invalid", False)
            self._flagged.setToolTip(self._flagged.property("baseToolTip") or "")
            _repolish(self._flagged)
            self._flagged = None

    def error_text(self) -> str:
        return self.error_label.text() if not self.error_label.isHidden() else ""


def _repolish(widget: QWidget) -> None:
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


def tip(widget: QWidget, text: str) -> QWidget:
    """Set a tooltip that survives an error tooltip being shown and cleared.

    A number box's tooltip also gives its range, read from the box itself (set its range first),
    so the limits a user sees are the ones the box enforces.
    """
    if isinstance(widget, _Bounded):
        text = f"{text}\nAllowed: {widget.range_text()}"
    widget.setToolTip(text)
    widget.setProperty("baseToolTip", text)
    return widget


def compact(combo: QComboBox, chars: int = 8) -> QComboBox:
    """Size a combo box for `chars` characters, not its longest item, so docks can be narrow."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    return combo


def select(combo: QComboBox, value) -> None:
    """Choose the item whose data is `value`; an unknown value is added rather than silently changed."""
    i = combo.findData(value)
    if i < 0:
        combo.addItem(str(value), value)
        i = combo.count() - 1
    combo.setCurrentIndex(i)


class _Compact:
    """Qt sizes a spin box for its longest possible text (12 decimals, 16 digits): far too wide for a dock."""

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        hint = super().sizeHint()
        return QSize(min(hint.width(), 110), hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), 64), hint.height())


def notify(widget: QWidget, text: str) -> None:
    """Say `text` in the status bar of the main window holding `widget` (also when its dock floats)."""
    log.info("%s", text)
    w = widget
    while w is not None and not isinstance(w, QMainWindow):
        w = w.parentWidget()
    if w is not None:
        w.statusBar().showMessage(text, NOTICE_MS)


_INTEGER = re.compile(r"[+-]?\d+")


def _parse_number(text: str, integer: bool) -> float | int | None:
    """What a user typed as a number, or None. Thousands separators ("99,999", "99 999", "99_999")
    are read in integer boxes; float boxes read a comma as the decimal point, as NumberBox shows it."""
    t = text.strip()
    if integer:
        t = re.sub(r"[,_ \u00a0\u202f]", "", t)
        if not _INTEGER.fullmatch(t):
            return None
        return int(t) if len(t) <= 30 else float(t)   # float: no 4,300-digit limit; huge is inf, out of range
    try:
        v = float(t.replace(",", "."))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


class _Bounded:
    """A number box that never drops a typed value silently.

    Qt's own boxes refuse a keystroke that goes over the maximum and, on Tab or Enter, put back the
    previous value when the text is out of range. Here the value typed is clamped to the nearest
    bound instead, and the status bar says so ("Learning rate: 99999 is above the largest allowed,
    1000; set to 1000."); text that is no number keeps the previous value, and says that too.
    The bounds are the box's own minimum() and maximum(): the one place they are written.
    """

    integer = False
    label = ""              # the field's name in messages, e.g. "Learning rate"
    notice = ""             # the last message said (tests read it)

    def range_text(self) -> str:
        lo, hi = self.textFromValue(self.minimum()), self.textFromValue(self.maximum())
        special = self.specialValueText()
        return f"{lo} ({special}) to {hi}" if special else f"{lo} to {hi}"

    def _settle(self, text: str) -> str | None:
        """The text to use instead of `text` (the bound it was clamped to), or None to keep the old value."""
        t = text.strip()
        value = _parse_number(t, self.integer)
        if value is None:
            kept = self.textFromValue(self.value())
            self._say(f"{self.label}: left empty; kept {kept}." if not t
                      else f"{self.label}: \u201c{t[:40]}\u201d is not a number; kept {kept}.")
            return None
        if value < self.minimum():
            bound, word = self.minimum(), "below the smallest allowed"
        elif value > self.maximum():
            bound, word = self.maximum(), "above the largest allowed"
        else:
            return None
        shown = self.textFromValue(bound)
        self._say(f"{self.label}: {t[:40]} is {word}, {shown}; set to {shown}.")
        return shown

    def _say(self, text: str) -> None:
        self.notice = text
        notify(self, text)  # type: ignore[arg-type]

    def fixup(self, text: str) -> str:  # noqa: D401 (Qt calls it with text that validate() did not accept)
        settled = self._settle(text)
        return text if settled is None else settled


class NumberBox(_Bounded, _Compact, QDoubleSpinBox):
    """A float box that shows `%g` text and keeps full precision (1e-7 stays 1e-7).

    With `log_steps`, the arrows multiply by 10^(1/10) instead of adding, so a
    learning rate moves through decades at an even pace.
    """

    def __init__(self, minimum: float, maximum: float, step: float = 0.1, log_steps: bool = False,
                 parent: QWidget | None = None, label: str = ""):
        super().__init__(parent)
        self.label = label
        self.setDecimals(12)                # Qt rounds values to `decimals`; keep them exact
        self.setRange(minimum, maximum)
        self.setSingleStep(step)
        self.log_steps = log_steps
        self.setKeyboardTracking(False)
        self.setAccelerated(True)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt name)
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802
        try:
            return float(text.strip().replace(",", "."))
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):  # noqa: D401
        t = text.strip().replace(",", ".")
        if t in ("", "-", ".", "-.") or t.lower().endswith(("e", "e-", "e+")):
            return QValidator.State.Intermediate, text, pos
        try:
            v = float(t)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        if not math.isfinite(v):
            return QValidator.State.Invalid, text, pos
        if self.minimum() <= v <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos

    def stepBy(self, steps: int) -> None:  # noqa: N802
        if not self.log_steps:
            super().stepBy(steps)
            return
        v = self.value()
        if v <= 0:
            v = max(self.minimum(), 1e-6)
        new = v * 10 ** (steps / 10)
        new = float(f"{new:.2g}") if new < 1 else float(f"{new:.3g}")
        self.setValue(min(max(new, self.minimum()), self.maximum()))


class _IntegerText:
    """Integer boxes: any whole number typed is Intermediate when out of range (not a refused keystroke),
    so that fixup() can clamp it and say so."""

    integer = True

    def validate(self, text: str, pos: int):  # noqa: D401
        t = text.strip()
        special = self.specialValueText()
        if special and t == special:
            return QValidator.State.Acceptable, text, pos
        if t in ("", "-", "+"):
            return QValidator.State.Intermediate, text, pos
        value = _parse_number(t, integer=True)
        if value is None:
            return QValidator.State.Invalid, text, pos
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos

    def valueFromText(self, text: str):  # noqa: N802 (Qt name)
        special = self.specialValueText()
        if special and text.strip() == special:
            return self.minimum()
        value = _parse_number(text, integer=True)
        if value is None:
            return self.value()
        kind = type(self.minimum())           # int for QSpinBox, float for QDoubleSpinBox: what Qt expects back
        return kind(min(max(value, self.minimum()), self.maximum()))


class CountBox(_Bounded, _IntegerText, _Compact, QSpinBox):
    """A whole-number box (samples, epochs, units) with QSpinBox's int value()."""

    def __init__(self, minimum: int, maximum: int, label: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.label = label
        self.setRange(minimum, maximum)
        self.setKeyboardTracking(False)


class IntBox(_Bounded, _IntegerText, _Compact, QDoubleSpinBox):
    """An integer box for values beyond QSpinBox's 32-bit range (seeds up to 2^53)."""

    def __init__(self, minimum: int, maximum: int, parent: QWidget | None = None, label: str = ""):
        super().__init__(parent)
        self.label = label
        self.setDecimals(0)
        self.setRange(minimum, min(maximum, 2 ** 53))
        self.setSingleStep(1)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt name)
        return str(int(round(value)))

    def int_value(self) -> int:
        return int(round(self.value()))


__all__ = ["Panel", "NumberBox", "IntBox", "CountBox", "tip", "compact", "select", "notify"]
