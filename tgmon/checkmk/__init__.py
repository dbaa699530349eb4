"""tgmon checkmk: a Checkmk datasource program for whole clusters.

    datasource.py   reads every node (concurrently, under one -t, as the cluster
                    check does) and prints a piggyback block per node with its
                    local checks, and the cluster's verdict on the calling host

Checkmk cannot run an agent on the appliance; a datasource program ("individual
program call instead of agent access") stands in for it on the Checkmk server
(docs/checkmk.rst). The lines are the checkmk-local renderer's (tgmon/render/).
"""
