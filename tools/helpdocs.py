"""Keep the --help text in docs/checks/*.rst in step with the code.

    python tools/helpdocs.py          rewrite the help blocks
    python tools/helpdocs.py --check  exit 1 if a block is out of date

The block sits between '.. BEGIN HELP' and '.. END HELP' in each page.
"""

import io
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ["COLUMNS"] = "80"   # argparse wraps to the terminal; docs need one width

from tgmon.checks.registry import all_checks  # noqa: E402
from tgmon.runtime.plugin import run  # noqa: E402
from generated import sync  # noqa: E402

BLOCK = re.compile(r"^\.\. BEGIN HELP\n.*?^\.\. END HELP$", re.S | re.M)


def help_text(definition):
    out = io.StringIO()
    run(definition, ["--help"], out=out)
    return out.getvalue()


def help_block(definition):
    body = "\n".join(("    " + line).rstrip() for line in help_text(definition).splitlines())
    return "::\n\n%s\n" % body


def doc_path(definition):
    return os.path.join(ROOT, "docs", "checks", definition.prog + ".rst")


def render(definition):
    page = os.path.relpath(doc_path(definition), ROOT)
    try:
        with open(doc_path(definition), encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise SystemExit("%s is missing - write the page of %s first (HACKING.rst, Adding a "
                         "check), with an empty '.. BEGIN HELP' / '.. END HELP' block"
                         % (page, definition.prog)) from None
    if not BLOCK.search(text):
        raise SystemExit("%s has no '.. BEGIN HELP' / '.. END HELP' block - add an empty one "
                         "where the --help text belongs" % page)
    block = ".. BEGIN HELP\n\n%s\n.. END HELP" % help_block(definition)
    return text, BLOCK.sub(lambda m: block, text)


def main(argv):
    return sync({doc_path(d): render(d)[1] for d in all_checks()}, argv, "make docs")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
