"""The plugin process: a check's declaration run as a plugin.

    arguments.py  the command line from the declaration, then --config
    reading.py    the state the check's scope names, under -t
    evaluate.py   judge and status: the one way the plugin and the timeline compute them
    plugin.py     run() and main(): the whole run, every failure one UNKNOWN line
"""
