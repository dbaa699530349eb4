"""tgmon downtimes sync: the appliance's own plan becomes downtimes in the cores.

Planned is silent, failed is loud. A node announces what it will do: a
maintenance that admin maint planned (R14) and its scheduled update run (R4,
R11: out of load balancing from 1 h before the update start). For each such
window the monitoring core gets a host downtime and downtimes for the
services that change state *because* of the plan (the maintenance check);
the update lock, the versions check and the all-in-one check keep paging.

    plan.py     the windows of each node: a pure function of its state
    wanted.py   the downtimes those windows ask for in one core, and the diff
    sync.py     the run: nodes under their configured names, plan, each core
    command.py  the command line, the output and the exit code

The cores themselves (Icinga 2's API, Nagios' command pipe and status.dat,
Alertmanager's silences) are spoken to through tgmon.cores, written once for
every tool that writes.
"""
