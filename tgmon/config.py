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

The caller hands over the catalogue of commands the file may configure:
{section: {dest: option}}, each option an ``options.Arg`` (its form, type);
this module knows no check and no command itself.
"""

from .errors import UsageError
from .safeio.files import read_option_file

FILE_KEYS = ("status", "warn_flag", "update_lock", "reboot_required")
MAX_CONFIG_BYTES = 256 * 1024
MAX_PATH_CHARS = 4096
NOT_FROM_CONFIG = ("config",)   # a config file names no other
DOCS = "see docs/configuration.rst"


class ConfigFile:
    """A loaded config file: its common part, its sections, and its lines."""

    def __init__(self, path, catalogue):
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
        self.catalogue = catalogue
        self.common, self.sections, self.files = {}, {}, {}
        for key, value in document.items():
            line = document.line_of(key)
            if not isinstance(key, str):
                raise UsageError("config %s%s: keys are option names or check names"
                                 % (path, _at(line)), DOCS)
            if key == "files":
                self.files = self._files(value, line)
            elif key in self.catalogue:
                if not isinstance(value, dict):
                    raise UsageError("config %s%s: section %s must be a mapping"
                                     % (path, _at(line), key), DOCS)
                self.sections[key] = value
            elif isinstance(value, dict):
                raise UsageError("config %s%s: unknown section" % (path, _at(line)),
                                 "sections are named as the plugins, e.g. check_hotfixes, "
                                 "or downtimes, push")
            else:
                self.common[_dest(key)] = (key, value, line)
        for key, _value, line in self.common.values():
            if not any(_dest(key) in options for options in self.catalogue.values()):
                raise UsageError("config %s%s: unknown option" % (path, _at(line)),
                                 "use the long option names of --help, without dashes")

    def section(self, prog):
        """{dest: (key, value, line)} of a plugin's own section; unknown keys refused."""
        mapping = self.sections.get(prog)
        if mapping is None:
            return {}
        options = self.catalogue[prog]
        result = {}
        for key, value in mapping.items():
            line = mapping.line_of(key)
            if not isinstance(key, str) or _dest(key) not in options:
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


def apply_config(path, catalogue, section, opts, given, aspects=()):
    """Set the options of ``section`` (a plugin, or downtimes) not in ``given`` (the
    dests the command line set) from the file. ``aspects``: for the all-in-one check,
    (section, dest prefix) of each aspect, whose common options and section apply
    to it under its prefix."""
    config = ConfigFile(path, catalogue)
    options = catalogue[section]
    layers = [_only(config.common, options), config.section(section)]
    if aspects:
        layers = _aspect_layers(config, options, aspects) + layers
    for layer in layers:
        for dest, (key, value, line) in layer.items():
            if dest in NOT_FROM_CONFIG:
                continue
            # converted even when the command line wins: a bad value is always reported
            converted = _convert(options[dest], value, config.path, key, line)
            if dest not in given:
                setattr(opts, dest, converted)
    opts.files = config.files
    return opts


def _aspect_layers(config, own, aspects):
    """check_tightgate: each aspect's common options and section, under its prefix."""
    layers = []
    for section, head in aspects:
        aspect_options = config.catalogue[section]
        for source in (_only(config.common, aspect_options), config.section(section)):
            layers.append({head + dest: item for dest, item in source.items()
                           if head + dest in own})
    return layers


def _only(layer, options):
    return {dest: item for dest, item in layer.items() if dest in options}


def _dest(key):
    return str(key).replace("-", "_")


def _at(line):
    return " line %d" % line if line else ""


def _convert(option, value, path, key, line):
    """A config value as the option's type would take it; errors never echo the value."""
    where = "config %s%s: %s" % (path, _at(line), key)
    if option.form == "count":   # -v
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3:
            raise UsageError("%s must be 0 to 3" % where, "write a number 0-3")
        return value
    if option.form == "flag":
        if not isinstance(value, bool):
            raise UsageError("%s must be true or false" % where, "write true or false")
        return value
    if option.form == "list":
        items = value if isinstance(value, list) else [value]
        if not items or len(items) > 1000:
            raise UsageError("%s must be a list of 1 to 1000 values" % where,
                             "write a YAML list")
        return [_scalar(option, item, where) for item in items]
    return _scalar(option, value, where)


def _scalar(option, value, where):
    if isinstance(value, (dict, list)) or value is None or isinstance(value, bool):
        raise UsageError("%s must be a single value" % where, "write one value")
    try:
        text = str(value)
    except ValueError:   # an integer of thousands of digits
        raise UsageError("%s is not a valid value (too long)" % where, _expects(option)) from None
    if len(text) > MAX_PATH_CHARS:
        raise UsageError("%s is longer than %d characters" % (where, MAX_PATH_CHARS),
                         _expects(option))
    if option.type is None:
        return text
    try:
        return option.type(text)
    except Exception:   # argparse types raise ArgumentTypeError/ValueError
        raise UsageError("%s is not a valid value" % where, _expects(option)) from None


def _expects(option):
    expects = getattr(option.type, "expects", None)
    return "expected %s" % expects if expects else "see the option in --help"
