"""Where the installed docs are, for --help: PREFIX/share/doc/tgmon.

The Debian package puts them into /usr/share/doc/tgmon (its Python's prefix is
/usr), the venv route (make install PREFIX=...) into PREFIX/share/doc/tgmon (its
venv's prefix). A source checkout's venv has none: there --help names the
package's place, and docs/ in the tree holds the same files.
"""

import functools
import os
import sys

PACKAGE_DOCS = "/usr/share/doc/tgmon"


@functools.lru_cache(maxsize=1)
def docs_dir():
    beside = os.path.join(sys.prefix, "share", "doc", "tgmon")
    return beside if os.path.isdir(beside) else PACKAGE_DOCS


def doc_path(*parts):
    """'/usr/share/doc/tgmon/checks/check_versions.rst' for ('checks', 'check_versions.rst')."""
    return os.path.join(docs_dir(), *parts)
