"""`python -m desktop` opens Neural Playground."""
import sys

from desktop.app import main

if __name__ == "__main__":
    sys.exit(main())
