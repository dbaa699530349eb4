"""Render the docs to HTML: the runbooks the alerts link to.

    python3 tools/htmldocs.py DEST [--require]

DEST/checks/<plugin>.html for docs/checks/*.rst (each with its Runbook
section and one anchor per finding: tgmon/checks/runbook.py), DEST/<page>.html
for docs/*.rst, DEST/index.html listing them. Self-contained pages (the
stylesheet embedded), no raw HTML; a docutils warning fails the build, so
every page renders whole. Run at package build (debian/rules, with Debian's
python3-docutils) and by make install (tools/install-docs). Without docutils
it says so and renders nothing; with --require that is an error.
"""

import glob
import io
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
SETTINGS = {
    "_disable_config": True,       # no docutils.conf of the building machine
    "raw_enabled": False,
    "embed_stylesheet": True,
    "report_level": 2,             # warnings and worse are reported ...
    "halt_level": 2,               # ... and stop the build
    "traceback": True,
    "output_encoding": "utf-8",
    "input_encoding": "utf-8",
    "doctitle_xform": True,
}


def sources():
    """(rst path, html path relative to DEST) of every page."""
    pages = [(path, os.path.basename(path)[:-4] + ".html")
             for path in sorted(glob.glob(os.path.join(DOCS, "*.rst")))]
    pages += [(path, "checks/" + os.path.basename(path)[:-4] + ".html")
              for path in sorted(glob.glob(os.path.join(DOCS, "checks", "*.rst")))]
    return pages


def render(path, warnings):
    """One page's HTML (bytes); a docutils warning raises SystemMessage."""
    from docutils.core import publish_string
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    return publish_string(text, source_path=path, writer_name="html5",
                          settings_overrides=dict(SETTINGS, warning_stream=warnings))


def index(pages):
    lines = ["tgmon documentation", "===================", "",
             "The per-check pages hold the runbooks the alerts link to "
             "(``Runbook: <url>``). What an alert says and what pages: "
             "`oncall <oncall.html>`_.", "", "Checks", "------", ""]
    lines += ["- `%s <%s>`_" % (os.path.basename(target)[:-5], target)
              for _, target in pages if target.startswith("checks/")]
    lines += ["", "Guides", "------", ""]
    lines += ["- `%s <%s>`_" % (target[:-5], target)
              for _, target in pages if "/" not in target]
    return "\n".join(lines) + "\n"


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 1:
        print("usage: tools/htmldocs.py DEST [--require]", file=sys.stderr)
        return 2
    dest = args[0]
    try:
        import docutils  # noqa: F401
    except ImportError:
        print("htmldocs: docutils is missing for %s: the HTML runbooks were not rendered "
              "(the .rst pages are installed). Install it (Debian: apt-get install "
              "python3-docutils) and run again." % sys.executable, file=sys.stderr)
        return 1 if "--require" in argv else 0
    from docutils.core import publish_string
    from docutils.utils import SystemMessage
    pages = sources()
    warnings = io.StringIO()
    try:
        for path, target in pages:
            write(os.path.join(dest, target), render(path, warnings))
        write(os.path.join(dest, "index.html"), publish_string(
            index(pages), source_path=os.path.join(DOCS, "index.rst"), writer_name="html5",
            settings_overrides=dict(SETTINGS, warning_stream=warnings)))
    except SystemMessage as exc:
        print("htmldocs: %s does not render cleanly: %s" % (path, exc), file=sys.stderr)
        return 1
    print("htmldocs: %d pages in %s" % (len(pages) + 1, dest))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
