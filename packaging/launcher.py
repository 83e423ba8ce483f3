"""The script PyInstaller freezes into the NeuralPlayground executable; it starts desktop.app:main."""
import multiprocessing
import sys

if __name__ == "__main__":
    # Before anything else: a frozen child process (multiprocessing, DataLoader workers) must run
    # its task here instead of starting a second copy of the application.
    multiprocessing.freeze_support()
    from trainer.remote import FLAG
    if sys.argv[1:2] == [FLAG]:   # desktop/training/process.py's training process: no Qt at all
        from trainer.remote import main
    else:
        from desktop.app import main

    sys.exit(main())
