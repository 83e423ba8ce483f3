"""Tables of numbers: the user's CSV / TSV files and scikit-learn's real datasets (issue 17).

Qt-free. The modules, each with one job:
  catalog.py   what real datasets exist (a table config.py imports; no other imports)
  errors.py    TableError: one message naming the file, row and column
  reader.py    sniff(path) -> Dialect; read_table(path, dialect) -> Table (columns, kinds, preview)
  choose.py    Selection: target, features and task, with the defaults the import dialog shows
  datasets.py  DataSpec -> Splits for "csv" and the real datasets (standardised on the training split)
  plane.py     pictures for more than two inputs: a plane of two features or two principal components,
               predicted-vs-actual, the test rows the model gets most wrong
  provenance.py  whether an experiment's file is still where it was, and unchanged
Importing this package imports none of them (scikit-learn takes seconds to import).
"""
