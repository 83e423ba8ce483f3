"""Workspaces: whole tabs of the main window built around one dataset or lesson (MNIST, ...).

A workspace is handed the MainWindow and subscribes to what it needs itself
(window.session's signals, window.trainedModelChanged), so the window only adds the tab.
"""
