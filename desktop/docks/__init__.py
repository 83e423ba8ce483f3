"""The settings docks: each edits one part of the Experiment and shows errors about that part.

Shared here: a base panel (changed signal, the red error label, field
highlighting) and the number boxes the docks need beyond Qt's own.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QVBoxLayout, QWidget


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
    """Set a tooltip that survives an error tooltip being shown and cleared."""
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


class NumberBox(_Compact, QDoubleSpinBox):
    """A float box that shows `%g` text and keeps full precision (1e-7 stays 1e-7).

    With `log_steps`, the arrows multiply by 10^(1/10) instead of adding, so a
    learning rate moves through decades at an even pace.
    """

    def __init__(self, minimum: float, maximum: float, step: float = 0.1, log_steps: bool = False,
                 parent: QWidget | None = None):
        super().__init__(parent)
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


class IntBox(_Compact, QDoubleSpinBox):
    """An integer box for values beyond QSpinBox's 32-bit range (seeds up to 2^53)."""

    def __init__(self, minimum: int, maximum: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setDecimals(0)
        self.setRange(minimum, min(maximum, 2 ** 53))
        self.setSingleStep(1)
        self.setKeyboardTracking(False)

    def int_value(self) -> int:
        return int(round(self.value()))


__all__ = ["Panel", "NumberBox", "IntBox", "tip", "compact", "select"]
