"""--config FILE: YAML defaults for long options and the state file paths.

Imported only when --config is given, so the plain path never loads yaml.

    state_dir: /var/lib/tgmon
    max_age: 30m
    files:                     # map real appliance paths
      status: /var/lib/tgmon/status.json
      warn_flag: /var/lib/tightgate/update-warn
      update_lock: /var/lib/tightgate/update-lock
      reboot_required: /var/run/reboot-required
    check_versions:            # options for one plugin only
      warning_age: 14d

Command-line options win over the file.
"""

from .errors import UsageError

FILE_KEYS = ("status", "warn_flag", "update_lock", "reboot_required")
MAX_CONFIG_BYTES = 256 * 1024


def load_config(path):
    import yaml
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise UsageError("cannot read config %s: %s" % (path, exc.strerror or exc),
                         "check the --config path and its permissions") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise UsageError("config %s is larger than %d bytes" % (path, MAX_CONFIG_BYTES),
                         "point --config at the tgmon YAML file")
    try:
        document = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = " line %d" % (mark.line + 1) if mark else ""
        raise UsageError("config %s%s is not valid YAML (%s)"
                         % (path, where, getattr(exc, "problem", None) or exc),
                         "fix the YAML syntax") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise UsageError("config %s must be a mapping of option: value" % path,
                         "see docs/configuration.rst")
    return document


def apply_config(parser, opts, path, prog):
    """Fill options not given on the command line from the config file."""
    document = load_config(path)
    given = set(getattr(opts, "_given", ()))
    settings = {k: v for k, v in document.items()
                if not isinstance(v, dict) or k == "files"}
    section = document.get(prog) or {}
    if not isinstance(section, dict):
        raise UsageError("config %s: section %s must be a mapping" % (path, prog),
                         "see docs/configuration.rst")
    settings.update(section)
    actions = {a.dest: a for a in parser._actions}
    files = {}
    for key, value in settings.items():
        dest = str(key).replace("-", "_")
        if dest == "files":
            files = _files(value, path)
            continue
        action = actions.get(dest)
        if action is None or dest in ("help", "version", "config"):
            raise UsageError("config %s: unknown option %r for %s" % (path, key, prog),
                             "use the long option names from %s --help" % prog)
        if dest in given:
            continue
        setattr(opts, dest, _convert(action, value, path, key))
    opts.files = files
    return opts


def _files(value, path):
    if not isinstance(value, dict):
        raise UsageError("config %s: files must be a mapping" % path,
                         "keys: %s" % ", ".join(FILE_KEYS))
    unknown = set(value) - set(FILE_KEYS)
    if unknown:
        raise UsageError("config %s: unknown file key(s) %s" % (path, ", ".join(sorted(unknown))),
                         "keys: %s" % ", ".join(FILE_KEYS))
    for key, target in value.items():
        if not isinstance(target, str):
            raise UsageError("config %s: files.%s must be a path" % (path, key),
                             "give a string")
    return dict(value)


def _convert(action, value, path, key):
    if action.nargs == 0:  # store_true style flags
        if not isinstance(value, bool):
            raise UsageError("config %s: %s must be true or false" % (path, key),
                             "write true or false")
        return value
    if action.type is None:
        return value if isinstance(value, str) else str(value)
    try:
        converted = action.type(str(value))
    except Exception as exc:  # argparse types raise ArgumentTypeError/ValueError
        raise UsageError("config %s: %s: %s" % (path, key, exc),
                         "fix the value in the config file") from None
    if action.choices is not None and converted not in action.choices:
        raise UsageError("config %s: %s: %r is not one of %s"
                         % (path, key, value, ", ".join(map(str, action.choices))),
                         "fix the value in the config file")
    return converted
