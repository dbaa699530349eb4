"""tgmon downtimes sync: the appliance's own plan becomes downtimes in the cores.

Planned is silent, failed is loud. A node announces what it will do: a
maintenance that admin maint planned (R14) and its scheduled update run (R4,
R11: out of load balancing from 1 h before the update start). For each such
window the monitoring core gets a host downtime and downtimes for the
services that change state *because* of the plan (the maintenance check);
the update lock, the versions check and the all-in-one check keep paging.

    plan.py     the windows of each node: a pure function of its state
    wanted.py   the downtimes those windows ask for in one core, and the diff
    icinga.py   Icinga 2's REST API (requests)
    nagios.py   Nagios' external command file and status.dat
    command.py  the command line, the run, its output and exit code
"""
