"""--config FILE: YAML defaults for long options and the state file paths.

One file serves every check: a common part (options of any check; each
check takes those it has) plus one section per plugin, named as the plugin.
check_tightgate applies the common part and each aspect's section to that
aspect (``check_hotfixes: warning_age`` is its ``--hotfixes-warning-age``).

    state_dir: /var/lib/tgmon
    max_age: 30m
    files:                     # map real appliance paths
      status: /var/lib/tgmon/status.json
      warn_flag: /var/lib/tightgate/update-warn
    check_versions:            # options for one plugin only
      warning_age: 14d
    check_cluster_updates:
      node: [https://tg1:9740/v1/status, https://tg2:9740/v1/status]

Command-line options win over the file; a plugin's section wins over the
common part. Imported only when --config is given, so the plain path never
loads yaml. Errors name the file and the line, never the file's content.
"""

import argparse

from .errors import UsageError
from .safeio.files import read_option_file

FILE_KEYS = ("status", "warn_flag", "update_lock", "reboot_required")
MAX_CONFIG_BYTES = 256 * 1024
MAX_PATH_CHARS = 4096
NOT_FROM_CONFIG = ("help", "version", "config")
DOCS = "see docs/configuration.rst"


class ConfigFile:
    """A loaded config file: its common part, its sections, and its lines."""

    def __init__(self, path):
        from .safeio import yaml as yamlsafe
        self.path = path
        data = read_option_file(path, "--config", MAX_CONFIG_BYTES, UsageError)
        try:
            document = yamlsafe.load(data)
        except yamlsafe.YamlProblem as exc:
            raise UsageError("config %s%s is %s" % (path, _at(exc.line), exc.words),
                             "fix the YAML syntax") from None
        if document is None:
            document = yamlsafe.LineMap()
        if not isinstance(document, dict):
            raise UsageError("config %s must be a mapping of option: value" % path, DOCS)
        self.document = document
        self.checks = _commands()
        self.common, self.sections, self.files = {}, {}, {}
        for key, value in document.items():
            line = document.line_of(key)
            if not isinstance(key, str):
                raise UsageError("config %s%s: keys are option names or check names"
                                 % (path, _at(line)), DOCS)
            if key == "files":
                self.files = self._files(value, line)
            elif key in self.checks:
                if not isinstance(value, dict):
                    raise UsageError("config %s%s: section %s must be a mapping"
                                     % (path, _at(line), key), DOCS)
                self.sections[key] = value
            elif isinstance(value, dict):
                raise UsageError("config %s%s: unknown section" % (path, _at(line)),
                                 "sections are named as the plugins, e.g. check_hotfixes, "
                                 "or downtimes")
            else:
                self.common[_dest(key)] = (key, value, line)
        for key, value, line in self.common.values():
            if not any(_dest(key) in _actions(d) for d in self.checks.values()):
                raise UsageError("config %s%s: unknown option" % (path, _at(line)),
                                 "use the long option names of --help, without dashes")

    def section(self, prog):
        """{dest: (key, value, line)} of a plugin's own section; unknown keys refused."""
        mapping = self.sections.get(prog)
        if mapping is None:
            return {}
        actions = _actions(self.checks[prog])
        result = {}
        for key, value in mapping.items():
            line = mapping.line_of(key)
            if not isinstance(key, str) or _dest(key) not in actions:
                raise UsageError("config %s%s: unknown option for %s"
                                 % (self.path, _at(line), prog),
                                 "use the long option names of %s --help" % prog)
            result[_dest(key)] = (key, value, line)
        return result

    def _files(self, value, line):
        if not isinstance(value, dict):
            raise UsageError("config %s%s: files must be a mapping" % (self.path, _at(line)),
                             "keys: %s" % ", ".join(FILE_KEYS))
        result = {}
        for key, target in value.items():
            key_line = value.line_of(key)
            if key not in FILE_KEYS:
                raise UsageError("config %s%s: unknown file key" % (self.path, _at(key_line)),
                                 "keys: %s" % ", ".join(FILE_KEYS))
            if not isinstance(target, str) or not target or len(target) > MAX_PATH_CHARS:
                raise UsageError("config %s%s: files.%s must be a path"
                                 % (self.path, _at(key_line), key), "give a file path")
            result[key] = target
        return result


def _commands():
    """Everything a config file has a section for: the plugins, and tgmon downtimes."""
    from .checks.registry import all_checks
    from .downtimes.command import SYNC
    commands = {d.prog: d for d in all_checks()}
    commands[SYNC.prog] = SYNC
    return commands


def apply_config(definition, opts, path):
    """Fill the options not given on the command line from the config file."""
    config = ConfigFile(path)
    given = set(getattr(opts, "_given", ()))
    actions = _actions(definition)
    layers = [_only(config.common, actions), config.section(definition.prog)]
    if definition.scope == "all-in-one":
        layers = _aspect_layers(config, definition) + layers
    for layer in layers:
        for dest, (key, value, line) in layer.items():
            if dest in NOT_FROM_CONFIG:
                continue
            # converted even when the command line wins: a bad value is always reported
            converted = _convert(actions[dest], value, config.path, key, line)
            if dest not in given:
                setattr(opts, dest, converted)
    opts.files = config.files
    return opts


def _aspect_layers(config, definition):
    """check_tightgate: each aspect's common options and section, under its prefix."""
    from .checks.tightgate import aspect_prefix
    from .checks.registry import SINGLE_NODE_CHECKS
    own = _actions(definition)
    layers = []
    for aspect in SINGLE_NODE_CHECKS:
        head = aspect_prefix(aspect).replace("-", "_") + "_"
        aspect_actions = _actions(aspect)
        for source in (_only(config.common, aspect_actions), config.section(aspect.prog)):
            layers.append({head + dest: item for dest, item in source.items()
                           if head + dest in own})
    return layers


def _only(layer, actions):
    return {dest: item for dest, item in layer.items() if dest in actions}


def _actions(definition):
    return {a.dest: a for a in definition.parser()._actions}


def _dest(key):
    return str(key).replace("-", "_")


def _at(line):
    return " line %d" % line if line else ""


def _convert(action, value, path, key, line):
    """A config value as the option's type would take it; errors never echo the value."""
    where = "config %s%s: %s" % (path, _at(line), key)
    if action.nargs == 0:  # store_true flags, and -v (a count)
        if isinstance(action, argparse._CountAction):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3:
                raise UsageError("%s must be 0 to 3" % where, "write a number 0-3")
            return value
        if not isinstance(value, bool):
            raise UsageError("%s must be true or false" % where, "write true or false")
        return value
    if isinstance(action, argparse._AppendAction):
        items = value if isinstance(value, list) else [value]
        if not items or len(items) > 1000:
            raise UsageError("%s must be a list of 1 to 1000 values" % where,
                             "write a YAML list")
        return [_scalar(action, item, where) for item in items]
    return _scalar(action, value, where)


def _scalar(action, value, where):
    if isinstance(value, (dict, list)) or value is None or isinstance(value, bool):
        raise UsageError("%s must be a single value" % where, "write one value")
    try:
        text = str(value)
    except ValueError:   # an integer of thousands of digits
        raise UsageError("%s is not a valid value (too long)" % where, _expects(action)) from None
    if len(text) > MAX_PATH_CHARS:
        raise UsageError("%s is longer than %d characters" % (where, MAX_PATH_CHARS),
                         _expects(action))
    if action.type is None:
        converted = text
    else:
        try:
            converted = action.type(text)
        except Exception:   # argparse types raise ArgumentTypeError/ValueError
            raise UsageError("%s is not a valid value" % where, _expects(action)) from None
    if action.choices is not None and converted not in action.choices:
        raise UsageError("%s is not one of %s" % (where, ", ".join(map(str, action.choices))),
                         "fix the value in the config file")
    return converted


def _expects(action):
    expects = getattr(action.type, "expects", None)
    return "expected %s" % expects if expects else "see the option in --help"
