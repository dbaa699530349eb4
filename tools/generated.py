"""Shared by the generators: bring files in step with their generated text.

    sync({path: text}, argv, "make docs") -> exit code
With --check in argv nothing is written and 1 means some file is stale.
"""

import os


def sync(files, argv, remedy):
    check = "--check" in argv
    stale = []
    for path, text in files.items():
        try:
            with open(path, encoding="utf-8") as handle:
                current = handle.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        stale.append(path)
        if not check:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
    if stale and check:
        print("out of date (run %s): %s" % (remedy, ", ".join(stale)))
        return 1
    return 0
