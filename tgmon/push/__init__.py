"""tgmon push: every node read once per round, every check judged on that read in
this one process, each result rendered exactly as its plugin prints it and sent
to the cores as a passive result (docs/push.rst).

    services.py  which core service carries which check: command names, Nagios
                 descriptions, intervals, ttl
    judge.py     one round's judging: nodes -> the plugins' outputs
    targets.py   the cores: Icinga 2 (API), Nagios (command pipe), NSCA-ng
    options.py   the command line (composed of tgmon downtimes sync's options)
    daemon.py    the rounds: schedule, retries keeping the newest result, signals
    command.py   tgmon push: the exit code and the summary lines
"""
